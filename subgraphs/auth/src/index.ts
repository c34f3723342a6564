import { runStandalone, startProcessTracing, withTracingShutdown } from '@app/platform';
import { loadAuthConfig } from './config.js';
import { buildAuthService } from './server.js';

// Before the service is built: its HTTP shell, GraphQL server and logger trace only when this ran.
const tracing = await startProcessTracing('auth');
await runStandalone({
  name: 'auth',
  loadConfig: () => loadAuthConfig(),
  build: async (config, databaseUrl, logger) => withTracingShutdown(await buildAuthService({ config, databaseUrl, logger }), tracing),
});
