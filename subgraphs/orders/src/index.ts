import { runStandalone } from '@app/platform';
import { loadOrdersConfig } from './config.js';
import { buildOrdersService } from './server.js';

await runStandalone({
  name: 'orders',
  loadConfig: () => loadOrdersConfig(),
  build: (config, databaseUrl, logger) => buildOrdersService({ config, databaseUrl, logger }),
});
