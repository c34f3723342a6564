// The HTTP shell every service shares: app, health and operator access.

export * from './health.js';
export * from './http-app.js';
export * from './operator-access.js';
