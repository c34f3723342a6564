// The public surface of @app/platform: what every service shares, one folder per concern.
// `core.ts` is the part without a database (the gateway imports only that: `@app/platform/core`);
// this adds Postgres, the outbox, the subgraph server and a subgraph's start.

export * from './core.js';
export * from './database/index.js';
export * from './graphql/subgraph-server.js';
export * from './outbox/index.js';
export * from './service/run-standalone.js';
export * from './service/subgraph-foundation.js';
