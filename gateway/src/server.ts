// The gateway reports host metrics to Apollo by default; this platform sends nothing anywhere.
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';

import { readFileSync } from 'node:fs';
import type { ApolloServer } from '@apollo/server';
import { type EventBus, Subjects, type Subscription } from '@app/events';
import {
  connectInfrastructure,
  createLogger,
  createMetrics,
  type InfrastructureOverrides,
  type Logger,
  listen,
  type QueryLimits,
  queryLimitRules,
  queryLimitsOf,
  RedisCache,
  registerEventBusMetrics,
  type Service,
} from '@app/platform/core';
import { requestGuard } from './auth/request-guard.js';
import { type GatewayConfig, subgraphUrlOverride, trustedProxyHops } from './config.js';
import type { GatewayContext } from './context.js';
import { createApolloServer } from './create-apollo-server.js';
import { createGatewayApp } from './http/create-gateway-app.js';
import { registerGatewayRoutes } from './http/register-gateway-routes.js';
import { MemoryQuotaStore } from './limits/memory-quota-store.js';
import { RedisQuotaStore } from './limits/redis-quota-store.js';
import { seed004Policies, seed004QuotaPlugin } from './limits/seed004-quotas.js';
import { PublicAnswerCache } from './public-answer-cache.js';
import { RateLimiter } from './rate-limiter.js';
import { SharedEntitySelection } from './shared-entity-selection.js';
import { startSubscriptionServer } from './subscriptions/subscription-server.js';
import { subgraphsOf, supergraphPath } from './supergraph.js';

export interface GatewayOptions {
  config: GatewayConfig;
  logger?: Logger;
  infrastructure?: InfrastructureOverrides;
}

export interface GatewayService extends Service {
  apollo: ApolloServer<GatewayContext>;
}

/**
 * Builds the gateway (tests and the embedded launcher import this); `index.ts` only listens.
 * The rooms: create-apollo-server (GraphQL over the supergraph), http/ (the app and its routes),
 * auth/ (who is asking), subscriptions/ (graphql-ws), limits/ and rate-limiter (how much).
 */
export async function buildGateway(options: GatewayOptions): Promise<GatewayService> {
  const { config } = options;
  const logger = options.logger ?? createLogger('gateway', config.LOG_LEVEL);
  const infra = await connectInfrastructure(config, logger, options.infrastructure);
  const metrics = createMetrics('gateway');
  registerEventBusMetrics(metrics.registry, infra.bus);

  const supergraphSdl = readFileSync(config.SUPERGRAPH_PATH ?? supergraphPath, 'utf8');
  const subgraphs = subgraphsOf(supergraphSdl).map((s) => ({ ...s, url: subgraphUrlOverride(config, s.name) ?? s.url }));
  // Seed 004 quotas live where replicas share them (Redis); in memory only in the single-process mode.
  const quotaStore = infra.cache instanceof RedisCache ? new RedisQuotaStore(infra.cache.redis) : new MemoryQuotaStore();
  const quotaPolicies = seed004Policies(config);
  // The same limits as every subgraph's (platform/src/graphql/query-limits.ts), over HTTP and WebSocket alike.
  const limits = queryLimitsOf(config);
  const validationRules = queryLimitRules(limits);

  const kept = await keepAnswers(config, infra.bus);
  const { apollo, apiSchema, closeSubgraphClients } = createApolloServer({
    config,
    supergraphSdl,
    subgraphs,
    logger,
    metrics,
    cache: infra.cache,
    limits,
    validationRules,
    quotaPlugin: seed004QuotaPlugin(quotaStore, quotaPolicies),
    publicAnswers: kept.publicAnswers,
    accountAnswers: kept.accountAnswers,
  });
  await apollo.start();

  const app = await createGatewayApp({ config, logger, metrics, infra, subgraphs });
  const rateLimiter = new RateLimiter(
    infra.cache,
    config.RATE_LIMIT_WINDOW,
    { user: config.RATE_LIMIT_USER, anonymous: config.RATE_LIMIT_ANONYMOUS },
    {
      logger,
      onFallback: () => metrics.cacheFallbacks.inc({ cache: 'rate-limit', operation: 'count' }),
    },
  );
  const guard = requestGuard(infra.verifier, rateLimiter);
  const line = await registerGatewayRoutes(app, { config, apollo, guard, infra, logger, quotaStore, quotaPolicies });

  const subscriptions = startSubscriptionServer({
    httpServer: app.server,
    apollo,
    schema: apiSchema,
    supergraphSdl,
    verifier: infra.verifier,
    bus: infra.bus,
    logger,
    metrics,
    validationRules,
    rateLimiter,
    ...socketLimits(config, limits),
  });

  let closed = false;
  return {
    name: 'gateway',
    app,
    apollo,
    listen: (port, host) => listen(app, port, host),
    async close() {
      if (closed) return;
      closed = true;
      await subscriptions.close();
      await app.close();
      await rateLimiter.close();
      await line.close();
      await apollo.stop();
      await closeSubgraphClients();
      await kept.stop();
      await infra.close();
    },
  };
}

/**
 * Subgraph answers the gateway keeps in memory (none when PUBLIC_ANSWER_CACHE_SECONDS is 0):
 * - the shared-read subgraphs' (PublicAnswerCache), emptied by every `cache.key.invalidated` they
 *   broadcast after a commit;
 * - auth's about accounts, for fields every signed-in caller sees alike (ACCOUNT_SHARED_FIELDS),
 *   emptied by every `cache.account.invalidated` (auth broadcasts one after each erasure
 *   commits), so an erased account stops being answered from here within that broadcast's
 *   delivery, or PUBLIC_ANSWER_CACHE_SECONDS if it is lost.
 */
async function keepAnswers(config: GatewayConfig, bus: EventBus) {
  const ttlMs = config.PUBLIC_ANSWER_CACHE_SECONDS * 1000;
  const subscriptions: Subscription[] = [];
  let publicAnswers: PublicAnswerCache | undefined;
  let accountAnswers: { cache: PublicAnswerCache; selection: SharedEntitySelection } | undefined;
  if (ttlMs && config.SHARED_READ_SUBGRAPHS.length) {
    const cache = (publicAnswers = new PublicAnswerCache(ttlMs));
    subscriptions.push(await bus.onBroadcast(Subjects.CacheKeyInvalidated, async () => cache.clear()));
  }
  if (ttlMs && config.ACCOUNT_SHARED_FIELDS.length) {
    const cache = new PublicAnswerCache(ttlMs);
    accountAnswers = { cache, selection: new SharedEntitySelection('User', new Set(config.ACCOUNT_SHARED_FIELDS)) };
    subscriptions.push(await bus.onBroadcast(Subjects.CacheAccountInvalidated, async () => cache.clear()));
  }
  return { publicAnswers, accountAnswers, stop: () => Promise.all(subscriptions.map((s) => s.unsubscribe())) };
}

/** The WebSocket side's limits: the same settings as over HTTP, and the WS_* ones. */
function socketLimits(config: GatewayConfig, limits: QueryLimits) {
  return {
    maxTokens: limits.tokens,
    maxComplexity: limits.complexity,
    maxValidationErrors: limits.errors,
    maxPayload: config.WS_MAX_PAYLOAD,
    maxOperationsPerConnection: config.WS_MAX_OPERATIONS,
    maxConnectionsPerIp: config.WS_MAX_CONNECTIONS_PER_IP,
    maxBuffered: config.WS_MAX_BUFFERED,
    trustProxyHops: trustedProxyHops(config),
    hideSchemaDetails: config.NODE_ENV === 'production',
  };
}

export { type GatewayConfig, loadGatewayConfig, subgraphUrlEnv } from './config.js';
// Kept for importers outside gateway/src; inside, import it from context.ts.
export type { GatewayContext } from './context.js';
