import { readFileSync } from 'node:fs';
import {
  createSubgraphServer,
  dependencyChecks,
  OutboxRelay,
  openSubgraphFoundation,
  type Service,
  type SubgraphServiceOptions,
  subgraphService,
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
  const relay = new OutboxRelay({
    name: 'workouts',
    em,
    bus: infra.bus,
    logger,
    schema: config.DB_SCHEMA,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL * 1000,
  });
  const deps: WorkoutsDeps = { em, bus: infra.bus, config, logger, nudgeOutbox: () => relay.nudge() };
  relay.start();

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
    bus: infra.bus,
  });

  return subgraphService('workouts', server, deps, [
    () => Promise.all(subscriptions.map((s) => s.unsubscribe())),
    // A round in progress finishes; unsent rows stay for the next start (any replica).
    () => relay.stop(),
    () => infra.close(),
    () => orm.close(),
  ]);
}
export { loadWorkoutsConfig, type WorkoutsConfig } from './config.js';
