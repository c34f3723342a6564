import { readFileSync } from 'node:fs';
import {
  connectInfrastructure,
  createLogger,
  createSubgraphServer,
  openDatabase,
  type InfrastructureOverrides,
  type Logger,
  type Service,
} from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'graphql';
import type { WorkoutsConfig } from './config.js';
import { database } from './database.js';
import type { WorkoutsDeps } from './deps.js';
import { subscribeHandlers } from './handlers/index.js';
import { buildContext, createResolvers } from './resolvers/index.js';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export interface WorkoutsServiceOptions {
  config: WorkoutsConfig;
  databaseUrl: string;
  logger?: Logger;
  infrastructure?: InfrastructureOverrides;
}

export interface WorkoutsService extends Service {
  deps: WorkoutsDeps;
}

/** Builds the workouts subgraph (tests import this); `index.ts` only listens. */
export async function buildWorkoutsService(options: WorkoutsServiceOptions): Promise<WorkoutsService> {
  const { config } = options;
  const logger = options.logger ?? createLogger('workouts', config.LOG_LEVEL);
  const infra = await connectInfrastructure(config, logger, options.infrastructure);
  // Migrations also seed the global exercise list (idempotently).
  const orm = await openDatabase({ url: options.databaseUrl, schema: config.DB_SCHEMA, poolMax: config.DB_POOL_MAX, logger, ...database });
  const em = orm.em as EntityManager;
  const deps: WorkoutsDeps = { em, bus: infra.bus, config, logger };

  const subscriptions = await subscribeHandlers(deps);

  const server = await createSubgraphServer({
    name: 'workouts',
    typeDefs,
    resolvers: createResolvers(deps),
    buildContext: buildContext(deps),
    verifier: infra.verifier,
    logger,
    production: config.NODE_ENV === 'production',
    healthChecks: {
      database: async () => ({ ok: await orm.isConnected() }),
      cache: () => infra.cache.health(),
      events: () => infra.bus.health(),
    },
  });

  let closed = false;
  return {
    name: 'workouts',
    app: server.app,
    deps,
    listen: server.listen,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      for (const s of subscriptions) await s.unsubscribe();
      await infra.close();
      await orm.close();
    },
  };
}
export { loadWorkoutsConfig, type WorkoutsConfig } from './config.js';
