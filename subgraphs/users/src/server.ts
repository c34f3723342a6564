import { readFileSync } from 'node:fs';
import {
  createMetrics,
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
import type { UsersConfig } from './config.js';
import { database } from './database.js';
import type { UsersDeps } from './deps.js';
import { subscribeHandlers } from './handlers/index.js';
import { ProfileStore } from './profile-store.js';
import { buildContext, createResolvers } from './resolvers/index.js';
import { retryStalledDeletions } from './usecases/delete-me.js';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export type UsersServiceOptions = SubgraphServiceOptions<UsersConfig>;

export interface UsersService extends Service {
  deps: UsersDeps;
}

/** Builds the users subgraph (tests import this); `index.ts` only listens. */
export async function buildUsersService(options: UsersServiceOptions): Promise<UsersService> {
  const { config, logger, infra, orm } = await openSubgraphFoundation('users', options, database);
  const em = orm.em as EntityManager;
  const metrics = createMetrics('users');
  const profiles = new ProfileStore(em, config.DEFAULT_LOCALE, {
    shared: infra.cache,
    bus: infra.bus,
    localTtlSeconds: config.PROFILE_LOCAL_TTL,
    metrics,
    logger,
  });
  const relay = new OutboxRelay({
    name: 'users',
    em,
    bus: infra.bus,
    logger,
    schema: config.DB_SCHEMA,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL * 1000,
  });
  const deps: UsersDeps = { em, cache: infra.cache, bus: infra.bus, profiles, config, logger, nudgeOutbox: () => relay.nudge() };
  relay.start();

  const subscriptions = [await profiles.listen(), ...(await subscribeHandlers(deps))];
  const retryTimer = setInterval(
    () => {
      retryStalledDeletions(deps).catch((err) => logger.warn({ err }, 'retrying stalled deletions failed'));
    },
    Math.min(60_000, config.DELETION_RETRY_AFTER * 1000),
  );
  retryTimer.unref();

  const server = await createSubgraphServer({
    name: 'users',
    typeDefs,
    resolvers: createResolvers(deps),
    buildContext: buildContext(deps),
    verifier: infra.verifier,
    logger,
    production: config.NODE_ENV === 'production',
    healthChecks: dependencyChecks(orm, infra),
    bus: infra.bus,
    metrics,
  });

  return subgraphService('users', server, deps, [
    () => clearInterval(retryTimer),
    () => Promise.all(subscriptions.map((s) => s.unsubscribe())),
    () => profiles.close(),
    // A round in progress finishes; unsent rows stay for the next start (any replica).
    () => relay.stop(),
    () => infra.close(),
    () => orm.close(),
  ]);
}
export { loadUsersConfig, type UsersConfig } from './config.js';
