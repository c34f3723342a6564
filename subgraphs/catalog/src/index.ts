import { runStandalone, startProcessTracing, withTracingShutdown } from '@app/platform';
import { loadCatalogConfig } from './config.js';
import { buildCatalogService } from './server.js';

// Before the service is built: its HTTP shell, GraphQL server and logger trace only when this ran.
const tracing = await startProcessTracing('catalog');
await runStandalone({
  name: 'catalog',
  loadConfig: () => loadCatalogConfig(),
  build: async (config, databaseUrl, logger) => withTracingShutdown(await buildCatalogService({ config, databaseUrl, logger }), tracing),
});
