import { runStandalone } from '@app/platform';
import { loadUsersConfig } from './config.js';
import { buildUsersService } from './server.js';

await runStandalone({
  name: 'users',
  loadConfig: () => loadUsersConfig(),
  build: (config, databaseUrl, logger) => buildUsersService({ config, databaseUrl, logger }),
});
