import { runStandalone } from '@app/platform';
import { loadCatalogConfig } from './config.js';
import { buildCatalogService } from './server.js';

await runStandalone({
  name: 'catalog',
  loadConfig: () => loadCatalogConfig(),
  build: (config, databaseUrl, logger) => buildCatalogService({ config, databaseUrl, logger }),
});
