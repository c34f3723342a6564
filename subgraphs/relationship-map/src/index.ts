import { runStandalone, startProcessTracing, withTracingShutdown } from '@app/platform';
import { loadRelationshipMapConfig } from './config.js';
import { buildRelationshipMapService } from './server.js';

// Before the service is built: its HTTP shell, GraphQL server and logger trace only when this ran.
const tracing = await startProcessTracing('relationship-map');
await runStandalone({
  name: 'relationship-map',
  loadConfig: () => loadRelationshipMapConfig(),
  build: async (config, databaseUrl, logger) =>
    withTracingShutdown(await buildRelationshipMapService({ config, databaseUrl, logger }), tracing),
});
