/** Private Redis, NATS and Postgres instances for fault tests: stop, kill and restart them freely. */

export { type PrivateNats, startPrivateNats } from './private-nats.js';
export { type PrivatePostgres, startPrivatePostgres } from './private-postgres.js';
export { PrivateServer, type PrivateServerSpec } from './private-process.js';
export { type PrivateRedis, startPrivateRedis } from './private-redis.js';
