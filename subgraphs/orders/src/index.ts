import { runStandalone, startProcessTracing, withTracingShutdown } from '@app/platform';
import { loadOrdersConfig } from './config.js';
import { buildOrdersService } from './server.js';

// Before the service is built: its HTTP shell, GraphQL server and logger trace only when this ran.
const tracing = await startProcessTracing('orders');
await runStandalone({
  name: 'orders',
  loadConfig: () => loadOrdersConfig(),
  build: async (config, databaseUrl, logger) => withTracingShutdown(await buildOrdersService({ config, databaseUrl, logger }), tracing),
});
