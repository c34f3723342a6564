import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql module for the whole run: Apollo's packages and ours must share it
    // ("Cannot use GraphQLSchema from another module or realm").
    alias: { graphql: require.resolve('graphql').replace(/index\.js$/, 'index.mjs') },
  },
  test: {
    include: ['**/test/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
