import { runStandalone } from '@app/platform';
import { loadRelationshipMapConfig } from './config.js';
import { buildRelationshipMapService } from './server.js';

await runStandalone({
  name: 'relationship-map',
  loadConfig: () => loadRelationshipMapConfig(),
  build: (config, databaseUrl, logger) => buildRelationshipMapService({ config, databaseUrl, logger }),
});
