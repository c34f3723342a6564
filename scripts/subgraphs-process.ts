/**
 * Every subgraph in this one process, the gateway in another: the `two` layout of `npm start`
 * (PLATFORM_PROCESSES, scripts/platform.ts), spawned by scripts/service-processes.ts. Each
 * subgraph listens on its port from PLATFORM_SUBGRAPH_PORTS and says which over the IPC channel
 * (`announceListening`); SIGTERM or SIGINT closes them all gracefully.
 */
import { announceListening, ConfigError, createLogger, onShutdown } from '@app/platform';
import { startPlatform } from './platform.js';
import { SUBGRAPH_PORTS_VARIABLE } from './service-processes.js';

const logger = createLogger('subgraphs', process.env.LOG_LEVEL ?? 'info');
try {
  const ports = JSON.parse(process.env[SUBGRAPH_PORTS_VARIABLE] ?? '{}') as Record<string, number>;
  const platform = await startPlatform({ ports, withGateway: false });
  for (const [name, url] of Object.entries(platform.urls)) announceListening(name, Number(new URL(url).port));
  onShutdown(logger, [() => platform.close()]);
} catch (err) {
  if (err instanceof ConfigError) console.error(`subgraphs: ${err.message}`);
  else logger.fatal({ err }, 'subgraphs failed to start');
  process.exit(1);
}
