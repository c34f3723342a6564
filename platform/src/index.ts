// The public surface of @app/platform: what every service shares, one folder per concern.

export * from './cache/index.js';
export * from './config.js';
export * from './database/index.js';
export * from './decimal.js';
export * from './errors.js';
export * from './graphql/index.js';
export * from './http/index.js';
export * from './observability/index.js';
export * from './outbox/index.js';
export * from './security/index.js';
export * from './serial-loop.js';
export * from './service/index.js';
export * from './tracing/index.js';
export * from './validation.js';
export * from './with-timeout.js';
