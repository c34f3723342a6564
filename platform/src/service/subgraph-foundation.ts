import type { CommonConfig } from '../config.js';
import { type DatabaseOptions, openDatabase } from '../database/database.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { connectInfrastructure, type InfrastructureOverrides } from './infrastructure.js';

/** How a subgraph service is built (by its `index.ts`, by `scripts/platform.ts`, by tests). */
export interface SubgraphServiceOptions<C> {
  config: C;
  databaseUrl: string;
  /** Default: a pino logger named after the service at `LOG_LEVEL`. */
  logger?: Logger;
  /** Shared cache and bus (the embedded mode and tests); default: from the config's URLs. */
  infrastructure?: InfrastructureOverrides;
}

/**
 * What every subgraph stands on: its logger, its cache, bus and token verifier, and its database
 * with the migrations applied. A failure part-way (a migration that fails) closes what was
 * already opened, so a service that cannot start leaves no connection behind.
 */
export async function openSubgraphFoundation<C extends CommonConfig & { DB_SCHEMA: string; DB_POOL_MAX: number }>(
  name: string,
  options: SubgraphServiceOptions<C>,
  database: Pick<DatabaseOptions, 'entities' | 'migrations'>,
) {
  const { config } = options;
  const logger = options.logger ?? createLogger(name, config.LOG_LEVEL);
  const infra = await connectInfrastructure(config, logger, options.infrastructure);
  try {
    const orm = await openDatabase({
      url: options.databaseUrl,
      schema: config.DB_SCHEMA,
      poolMax: config.DB_POOL_MAX,
      poolIdleTimeoutMs: config.DB_POOL_IDLE_TIMEOUT_MS,
      connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      logger,
      ...database,
    });
    return { config, logger, infra, orm };
  } catch (err) {
    await infra.close();
    throw err;
  }
}
