// What a process without a database needs of @app/platform (the gateway: `@app/platform/core`):
// every concern but Postgres, the outbox and the subgraph server, which index.ts adds. What this
// reaches loads no MikroORM, kysely, pg or @apollo/subgraph (.dependency-cruiser.cjs checks it):
// a gateway that loaded them held ~15 MB more heap and took ~0.9 s more CPU to start.

export * from './cache/index.js';
export * from './config.js';
export * from './decimal.js';
export * from './errors.js';
export * from './graphql/index.js';
export * from './http/index.js';
export * from './observability/index.js';
export * from './patch-applied.js';
export * from './security/index.js';
export * from './serial-loop.js';
export * from './service/index.js';
export * from './tracing/index.js';
export * from './validation.js';
export * from './with-timeout.js';
