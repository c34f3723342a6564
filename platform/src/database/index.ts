// Postgres through MikroORM (or embedded PGlite), its errors, and the pool-safe client.

export * from './database.js';
export * from './db-errors.js';
export { executePrepared } from './execute-prepared.js';
export { LAST_STATEMENT } from './pool-safe-pg-client.js';
export * from './service-schema.js';
