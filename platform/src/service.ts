import type { FastifyInstance } from 'fastify';
import { ConfigError } from './config.js';
import { startEmbeddedPostgres } from './database.js';
import { createLogger, type Logger } from './logger.js';
import { onShutdown } from './shutdown.js';

/** A running service as the launchers see it: `server.ts` builds one, `index.ts` listens. */
export interface Service {
  name: string;
  app: FastifyInstance;
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting requests, drains consumers, closes pools. Idempotent. */
  close(): Promise<void>;
}

export interface StandaloneOptions<C extends { PORT: number; HOST: string; LOG_LEVEL: string; DATABASE_URL?: string; DATA_DIR: string }> {
  name: string;
  loadConfig: () => C;
  build: (config: C, databaseUrl: string, logger: Logger) => Promise<Service>;
}

/**
 * What each service's `index.ts` runs: validated config (a bad variable stops the process with
 * a message naming it), the database (an embedded PGlite of its own when DATABASE_URL is unset),
 * listen, and graceful shutdown on SIGTERM.
 */
export async function runStandalone<C extends { PORT: number; HOST: string; LOG_LEVEL: string; DATABASE_URL?: string; DATA_DIR: string }>(
  options: StandaloneOptions<C>,
): Promise<void> {
  let config: C;
  try {
    config = options.loadConfig();
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
    onShutdown(logger, [() => service.close(), async () => embedded?.close()]);
  } catch (err) {
    logger.fatal({ err }, `${options.name} failed to start`);
    process.exit(1);
  }
}
