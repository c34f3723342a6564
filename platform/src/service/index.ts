// A service's life: infrastructure, standalone start, subgraph foundation, shutdown, version.

export * from './infrastructure.js';
export * from './service.js';
export * from './shutdown.js';
export * from './subgraph-foundation.js';
export { version } from './version.js';
