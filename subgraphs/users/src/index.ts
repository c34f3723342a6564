import { runStandalone, startProcessTracing, withTracingShutdown } from '@app/platform';
import { loadUsersConfig } from './config.js';
import { buildUsersService } from './server.js';

// Before the service is built: its HTTP shell, GraphQL server and logger trace only when this ran.
const tracing = await startProcessTracing('users');
await runStandalone({
  name: 'users',
  loadConfig: () => loadUsersConfig(),
  build: async (config, databaseUrl, logger) => withTracingShutdown(await buildUsersService({ config, databaseUrl, logger }), tracing),
});
