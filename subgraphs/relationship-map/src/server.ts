import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createSubgraphServer,
  dependencyChecks,
  type Logger,
  OutboxRelay,
  openSubgraphFoundation,
  type Service,
  type SubgraphServiceOptions,
  subgraphService,
} from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parse } from 'graphql';
import type { RelationshipMapConfig } from './config.js';
import { database } from './database.js';
import type { RelationshipMapDeps } from './deps.js';
import { GraphApiFacebookClient, TokenCipher } from './facebook/index.js';
import { subscribeHandlers } from './handlers/index.js';
import { createResolvers } from './resolvers/index.js';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

export type RelationshipMapServiceOptions = SubgraphServiceOptions<RelationshipMapConfig>;

export interface RelationshipMapService extends Service {
  deps: RelationshipMapDeps;
}

/**
 * The token key from the configuration. Outside production a missing key is replaced by one for
 * this process only (tokens stored with it cannot be read after a restart: the user connects
 * again); production refuses to start without one (config.ts).
 */
function tokenCipher(config: RelationshipMapConfig, logger: Logger): TokenCipher {
  if (config.FACEBOOK_TOKEN_KEY) return TokenCipher.fromBase64Key(config.FACEBOOK_TOKEN_KEY);
  if (config.FACEBOOK_GRAPH_URL)
    logger.warn('FACEBOOK_TOKEN_KEY is not set: Facebook tokens are encrypted with a key that lasts only until this process stops');
  return new TokenCipher(randomBytes(32));
}

/** Builds the relationship-map subgraph (tests import this); `index.ts` only listens. */
export async function buildRelationshipMapService(options: RelationshipMapServiceOptions): Promise<RelationshipMapService> {
  const { config, logger, infra, orm } = await openSubgraphFoundation('relationship-map', options, database);
  const em = orm.em as EntityManager;
  const facebook = config.FACEBOOK_GRAPH_URL
    ? new GraphApiFacebookClient({
        baseUrl: config.FACEBOOK_GRAPH_URL,
        apiVersion: config.FACEBOOK_API_VERSION,
        timeoutMs: config.FACEBOOK_TIMEOUT_MS,
        appSecret: config.FACEBOOK_APP_SECRET,
      })
    : null;
  const relay = new OutboxRelay({
    name: 'relationship-map',
    em,
    bus: infra.bus,
    logger,
    schema: config.DB_SCHEMA,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL * 1000,
  });
  const deps: RelationshipMapDeps = {
    em,
    bus: infra.bus,
    config,
    logger,
    nudgeOutbox: () => relay.nudge(),
    facebook,
    cipher: tokenCipher(config, logger),
  };
  relay.start();

  const subscriptions = await subscribeHandlers(deps);

  const server = await createSubgraphServer({
    name: 'relationship-map',
    typeDefs,
    resolvers: createResolvers(deps),
    verifier: infra.verifier,
    logger,
    production: config.NODE_ENV === 'production',
    healthChecks: dependencyChecks(orm, infra),
    bus: infra.bus,
  });

  return subgraphService('relationship-map', server, deps, [
    () => Promise.all(subscriptions.map((s) => s.unsubscribe())),
    // A round in progress finishes; unsent rows stay for the next start (any replica).
    () => relay.stop(),
    () => infra.close(),
    () => orm.close(),
  ]);
}
export { loadRelationshipMapConfig, type RelationshipMapConfig } from './config.js';
