import {
  announceListening,
  ConfigError,
  createLogger,
  onShutdown,
  requireSharedInfrastructure,
  startProcessTracing,
} from '@app/platform/core';
import { type GatewayConfig, loadGatewayConfig } from './config.js';
import { buildGateway } from './server.js';

let config: GatewayConfig;
try {
  config = loadGatewayConfig();
  // A production gateway with a private cache would never see the other services' logouts.
  requireSharedInfrastructure(config);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`gateway: ${err.message}`);
  process.exit(1);
}
// Before anything is built: the HTTP shell and the logger add their tracing parts only when it runs.
const tracing = await startProcessTracing('gateway');
const logger = createLogger('gateway', config.LOG_LEVEL);
try {
  const gateway = await buildGateway({ config, logger });
  const port = await gateway.listen(config.PORT, config.HOST);
  logger.info({ port }, `gateway listening on http://localhost:${port}/graphql`);
  announceListening('gateway', port);
  onShutdown(logger, [() => gateway.close(), () => tracing.shutdown()]);
} catch (err) {
  logger.fatal({ err }, 'gateway failed to start');
  process.exit(1);
}
