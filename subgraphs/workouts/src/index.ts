import { runStandalone } from '@app/platform';
import { loadWorkoutsConfig } from './config.js';
import { buildWorkoutsService } from './server.js';

await runStandalone({
  name: 'workouts',
  loadConfig: () => loadWorkoutsConfig(),
  build: (config, databaseUrl, logger) => buildWorkoutsService({ config, databaseUrl, logger }),
});
