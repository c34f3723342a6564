// Logs and metrics.

export * from './event-bus-metrics.js';
export * from './logger.js';
export * from './metrics.js';
