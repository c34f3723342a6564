import { readFileSync } from 'node:fs';
import {
  createSubgraphServer,
  dependencyChecks,
  openSubgraphFoundation,
  type Service,
  subgraphService,
  type SubgraphServiceOptions,
} from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'graphql';
import type { WorkoutsConfig } from './config.js';
import { database } from './database.js';
import type { WorkoutsDeps } from './deps.js';
import { subscribeHandlers } from './handlers/index.js';
import { buildContext, createResolvers } from './resolvers/index.js';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export type WorkoutsServiceOptions = SubgraphServiceOptions<WorkoutsConfig>;

export interface WorkoutsService extends Service {
  deps: WorkoutsDeps;
}

/** Builds the workouts subgraph (tests import this); `index.ts` only listens. */
export async function buildWorkoutsService(options: WorkoutsServiceOptions): Promise<WorkoutsService> {
  // Migrations also seed the global exercise list (idempotently).
  const { config, logger, infra, orm } = await openSubgraphFoundation('workouts', options, database);
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
    healthChecks: dependencyChecks(orm, infra),
  });

  return subgraphService('workouts', server, deps, [
    () => Promise.all(subscriptions.map((s) => s.unsubscribe())),
    () => infra.close(),
    () => orm.close(),
  ]);
}
export { loadWorkoutsConfig, type WorkoutsConfig } from './config.js';
