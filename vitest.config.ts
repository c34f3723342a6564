import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
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
    // At least two files at a time (vitest's default is one per core less one: a single worker on
    // two cores). Most of a file's time is spent waiting on the platform, which runs in the main
    // process, and on the fault tests' private servers: on 2 cores the suite took 575 s with one
    // worker and 390 s with two.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['tests/global-setup.ts'],
    reporters: ['default', './tests/support/summary-reporter.ts'],
  },
});
