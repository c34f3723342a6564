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
import { AccountStore } from './account-store.js';
import { type AuthConfig, passwordCost } from './config.js';
import { database } from './database.js';
import type { AuthDeps } from './deps.js';
import { subscribeUserDeleted } from './handlers/user-deleted.js';
import { registerClientAddress } from './internal/client-address.js';
import { registerLineSessionRoute } from './internal/line-session-route.js';
import { KeyStore } from './keys/key-store.js';
import { PrivateKeyCipher } from './keys/private-key-cipher.js';
import { createDecoyHash } from './passwords.js';
import { buildContext, createResolvers } from './resolvers/index.js';
import { bootstrapAdmin } from './usecases/bootstrap-admin.js';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export type AuthServiceOptions = SubgraphServiceOptions<AuthConfig>;

export interface AuthService extends Service {
  deps: AuthDeps;
}

/** Builds the auth subgraph (tests import this); `index.ts` only listens. */
export async function buildAuthService(options: AuthServiceOptions): Promise<AuthService> {
  const { config, logger, infra, orm } = await openSubgraphFoundation('auth', options, database);
  if (!config.SIGNING_KEY_ENCRYPTION_KEY)
    logger.warn('SIGNING_KEY_ENCRYPTION_KEY is not set: the private signing keys are stored unencrypted (refused in production)');
  const cipher = config.SIGNING_KEY_ENCRYPTION_KEY ? new PrivateKeyCipher(config.SIGNING_KEY_ENCRYPTION_KEY) : null;
  const keys = new KeyStore(orm.em as EntityManager, config.ACCESS_TOKEN_TTL + 60, cipher, logger);
  try {
    await keys.init();
  } catch (err) {
    await infra.close();
    await orm.close();
    throw err;
  }

  const relay = new OutboxRelay({
    name: 'auth',
    em: orm.em as EntityManager,
    bus: infra.bus,
    logger,
    schema: config.DB_SCHEMA,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL * 1000,
  });
  const metrics = createMetrics('auth');
  const accounts = new AccountStore(orm.em as EntityManager, {
    shared: infra.cache,
    bus: infra.bus,
    metrics,
    logger,
  });
  const deps: AuthDeps = {
    em: orm.em as EntityManager,
    cache: infra.cache,
    bus: infra.bus,
    keys,
    accounts,
    config,
    logger,
    decoyHash: await createDecoyHash(passwordCost(config)),
    nudgeOutbox: () => relay.nudge(),
  };
  // Publishes what a previous run left in the outbox, then whatever each commit adds.
  relay.start();
  await bootstrapAdmin(deps);
  const subscriptions = [await accounts.listen(), await subscribeUserDeleted(deps)];

  const server = await createSubgraphServer({
    name: 'auth',
    typeDefs,
    resolvers: createResolvers(deps),
    buildContext: buildContext(deps),
    verifier: infra.verifier,
    logger,
    production: config.NODE_ENV === 'production',
    healthChecks: dependencyChecks(orm, infra),
    bus: infra.bus,
    metrics,
    routes(app) {
      app.get('/.well-known/jwks.json', async (_req, reply) =>
        reply.header('cache-control', 'public, max-age=300').send(await keys.publicJwks()),
      );
      registerLineSessionRoute(app, deps);
      registerClientAddress(app, config.INTERNAL_API_KEY);
    },
  });

  return subgraphService('auth', server, deps, [
    ...subscriptions.map((s) => () => s.unsubscribe()),
    () => accounts.close(),
    // A round in progress finishes; unsent rows stay for the next start (any replica).
    () => relay.stop(),
    () => infra.close(),
    () => orm.close(),
  ]);
}
export { type AuthConfig, loadAuthConfig } from './config.js';
