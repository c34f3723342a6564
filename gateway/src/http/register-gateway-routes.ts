import type { ApolloServer } from '@apollo/server';
import type { Infrastructure, Logger } from '@app/platform/core';
import type { FastifyInstance } from 'fastify';
import type { RequestGuard } from '../auth/request-guard.js';
import type { GatewayConfig } from '../config.js';
import type { GatewayContext } from '../context.js';
import { registerLineFacade } from '../facade/line/register-line-facade.js';
import { registerRestFacade } from '../facade/rest/register-rest-facade.js';
import { routeTable } from '../facade/rest/route-table.js';
import { registerGraphiQL } from '../ide/register-graphiql.js';
import type { QuotaStore } from '../limits/quota-store.js';
import type { Seed004Policies } from '../limits/seed004-quotas.js';
import { registerGraphQLRoute } from './graphql-route.js';

export interface GatewayRoutesOptions {
  config: GatewayConfig;
  apollo: ApolloServer<GatewayContext>;
  guard: RequestGuard;
  infra: Infrastructure;
  logger: Logger;
  quotaStore: QuotaStore;
  quotaPolicies: Seed004Policies;
}

/**
 * Every route of the gateway besides the platform's own (health, metrics): `/graphql`, the IDE,
 * the LINE doors and the REST facade. Returns what must be stopped with the gateway.
 */
export async function registerGatewayRoutes(app: FastifyInstance, options: GatewayRoutesOptions): Promise<{ close(): Promise<void> }> {
  const { config, apollo, guard, infra, logger } = options;
  const production = config.NODE_ENV === 'production';
  registerGraphQLRoute(app, { apollo, guard, maxBatchSize: config.MAX_BATCH_SIZE });
  // Seed 003's IDE, served from our own packages (no CDN); never in production.
  registerGraphiQL(app, { enabled: !production });
  const cookies = { secure: config.COOKIE_SECURE ?? production, refreshMaxAgeSeconds: config.REFRESH_COOKIE_MAX_AGE };
  const line = await registerLineFacade(app, {
    config,
    apollo,
    cache: infra.cache,
    bus: infra.bus,
    verifier: infra.verifier,
    logger,
    cookies,
  });
  registerRestFacade(app, {
    apollo,
    guard,
    // Cookie-authenticated writes must come from one of these (or the gateway's own origin).
    allowedOrigins: [...config.CORS_ORIGINS, new URL(config.PUBLIC_URL).origin],
    chargeQuota: (userId, quota) => options.quotaStore.consume(options.quotaPolicies[quota], userId),
    routes: routeTable({
      cookies,
      logoutRedirectUrl: config.LOGOUT_REDIRECT_URL,
      erasureWaitMs: config.ERASURE_WAIT_MS,
    }),
  });
  return line;
}
