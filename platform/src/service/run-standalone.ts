import { ConfigError, requireSharedInfrastructure } from '../config.js';
import { startEmbeddedPostgres } from '../database/database.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { announceListening } from './announce-listening.js';
import type { Service } from './service.js';
import { onShutdown } from './shutdown.js';

/** What runStandalone reads of a service's config (every service's config extends commonEnv). */
interface StandaloneConfig {
  NODE_ENV: string;
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
  DATABASE_URL?: string;
  REDIS_URL?: string;
  NATS_URL?: string;
  DATA_DIR: string;
}

export interface StandaloneOptions<C extends StandaloneConfig> {
  name: string;
  loadConfig: () => C;
  build: (config: C, databaseUrl: string, logger: Logger) => Promise<Service>;
}

/**
 * What each service's `index.ts` runs: validated config (a bad variable stops the process with
 * a message naming it; in production REDIS_URL and NATS_URL are required, since a service alone
 * never shares an in-memory cache or bus with anyone), the database (an embedded PGlite of its
 * own when DATABASE_URL is unset), listen, and graceful shutdown on SIGTERM.
 */
export async function runStandalone<C extends StandaloneConfig>(options: StandaloneOptions<C>): Promise<void> {
  let config: C;
  try {
    config = options.loadConfig();
    requireSharedInfrastructure(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${options.name}: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(options.name, config.LOG_LEVEL);
  try {
    const embedded = config.DATABASE_URL ? null : await startEmbeddedPostgres(`${config.DATA_DIR}/${options.name}`, logger);
    const service = await options.build(config, config.DATABASE_URL ?? embedded!.url, logger);
    const port = await service.listen(config.PORT, config.HOST);
    logger.info({ port }, `${options.name} listening`);
    announceListening(options.name, port);
    onShutdown(logger, [() => service.close(), async () => embedded?.close()]);
  } catch (err) {
    // A setting found wrong while building (e.g. by connectInfrastructure): a message, no stack.
    if (err instanceof ConfigError) console.error(`${options.name}: ${err.message}`);
    else logger.fatal({ err }, `${options.name} failed to start`);
    process.exit(1);
  }
}
