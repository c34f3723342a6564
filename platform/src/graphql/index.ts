// What every GraphQL server shares: the HTTP bridge, error formatting, limits, scalars (the
// subgraph server, which loads @apollo/subgraph, is exported by the package's index.ts only).

export * from './entities-limit.js';
export * from './graphql-errors.js';
export * from './graphql-http.js';
export * from './hash-without-require.js';
export * from './query-complexity.js';
export * from './query-limits.js';
export * from './scalars.js';
