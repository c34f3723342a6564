import { runStandalone } from '@app/platform';
import { loadAuthConfig } from './config.js';
import { buildAuthService } from './server.js';

await runStandalone({
  name: 'auth',
  loadConfig: () => loadAuthConfig(),
  build: (config, databaseUrl, logger) => buildAuthService({ config, databaseUrl, logger }),
});
