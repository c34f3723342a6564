/** Private Redis, NATS and Postgres instances for fault tests: stop, kill and restart them freely. */
export { PrivateServer, type PrivateServerSpec } from './private-process.js';
export { startPrivateRedis, type PrivateRedis } from './private-redis.js';
export { startPrivateNats, type PrivateNats } from './private-nats.js';
export { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';
