// A service's life without its database: infrastructure, shutdown, version, the listening
// announcement. The standalone start (embedded Postgres) and the subgraph foundation are exported
// by the package's index.ts only.

export * from './announce-listening.js';
export * from './infrastructure.js';
export * from './service.js';
export * from './shutdown.js';
export { version } from './version.js';
