import { runStandalone, startProcessTracing, withTracingShutdown } from '@app/platform';
import { loadWorkoutsConfig } from './config.js';
import { buildWorkoutsService } from './server.js';

// Before the service is built: its HTTP shell, GraphQL server and logger trace only when this ran.
const tracing = await startProcessTracing('workouts');
await runStandalone({
  name: 'workouts',
  loadConfig: () => loadWorkoutsConfig(),
  build: async (config, databaseUrl, logger) => withTracingShutdown(await buildWorkoutsService({ config, databaseUrl, logger }), tracing),
});
