import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql module for the whole run ("Cannot use GraphQLSchema from another module or
    // realm"): Node loads Apollo's imports of graphql as CommonJS (its `main`), while Vite would
    // give our code the ESM build (its `module`). Point ours at what Node loads.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['**/test/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['tests/global-setup.ts'],
    reporters: ['default', './tests/support/summary-reporter.ts'],
  },
});
