// The gateway reports host metrics to Apollo by default; this platform sends nothing anywhere.
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';

import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ForwardingDataSource, timedFetch } from './forwarding-data-source.js';
import { unavailableStatusPlugin } from './plugins/unavailable-status-plugin.js';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import {
  AppError,
  complexityLimitPlugin,
  connectInfrastructure,
  createHttpApp,
  createLogger,
  createMetrics,
  registerEventBusMetrics,
  errorReportingPlugin,
  formatGraphQLError,
  graphqlRouteErrorHandler,
  handleGraphQL,
  listen,
  queryLimitOptions,
  queryLimitRules,
  queryLimitsOf,
  RateLimitError,
  RedisCache,
  sendGraphQLError,
  ValidationError,
  type AuthContext,
  type InfrastructureOverrides,
  type Logger,
  type Metrics,
  type RequestScoped,
  type Service,
} from '@app/platform';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { ApqCache } from './apq-cache.js';
import { authenticate } from './auth/authenticate.js';
import { subgraphUrlOverride, trustedProxyHops, type GatewayConfig } from './config.js';
import { registerLineFacade } from './facade/line/register-line-facade.js';
import { registerRestFacade } from './facade/rest/register-rest-facade.js';
import { graphiqlLandingPage, registerGraphiQL } from './ide/register-graphiql.js';
import { routeTable } from './facade/rest/route-table.js';
import { MemoryQuotaStore } from './limits/memory-quota-store.js';
import type { QuotaDecision } from './limits/quota-store.js';
import { RedisQuotaStore } from './limits/redis-quota-store.js';
import { seed004Policies, seed004QuotaPlugin } from './limits/seed004-quotas.js';
import { RateLimiter } from './rate-limiter.js';
import { startSubscriptionServer } from './subscriptions/subscription-server.js';
import { supergraphPath } from './supergraph.js';

export interface GatewayContext extends BaseContext, RequestScoped {
  auth?: AuthContext;
  /** Set by seed004QuotaPlugin: the tightest seed 004 quota the operation counted against. */
  quota?: QuotaDecision;
  /** The client's address (TRUST_PROXY_HOPS applied), named to the auth service for its login throttle. */
  clientIp?: string;
}

/** Subgraph names and routing URLs as written in the supergraph (`@join__graph`). */
export function subgraphsOf(supergraphSdl: string): { name: string; url: string }[] {
  return [...supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]*)"\)/g)].map(([, name, url]) => ({ name, url }));
}

function operationMetricsPlugin(metrics: Metrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let operation = 'anonymous';
      let type = 'unknown';
      return {
        async didResolveOperation({ operationName, operation: op }) {
          operation = operationName ?? 'anonymous';
          type = op?.operation ?? 'unknown';
        },
        async willSendResponse({ response }) {
          const failed = response.body.kind === 'single' && !!response.body.singleResult.errors?.length;
          metrics.graphqlOperations.inc({ operation, type, outcome: failed ? 'error' : 'ok' });
        },
      };
    },
  };
}

export interface GatewayOptions {
  config: GatewayConfig;
  logger?: Logger;
  infrastructure?: InfrastructureOverrides;
}

export interface GatewayService extends Service {
  apollo: ApolloServer<GatewayContext>;
}

/** Builds the gateway (tests and the embedded launcher import this); `index.ts` only listens. */
export async function buildGateway(options: GatewayOptions): Promise<GatewayService> {
  const { config } = options;
  const logger = options.logger ?? createLogger('gateway', config.LOG_LEVEL);
  const production = config.NODE_ENV === 'production';
  const introspection = config.GRAPHQL_INTROSPECTION ? config.GRAPHQL_INTROSPECTION === 'true' : !production;
  const infra = await connectInfrastructure(config, logger, options.infrastructure);
  const metrics = createMetrics('gateway');
  registerEventBusMetrics(metrics.registry, infra.bus);

  const supergraphSdl = readFileSync(config.SUPERGRAPH_PATH ?? supergraphPath, 'utf8');
  const subgraphs = subgraphsOf(supergraphSdl).map((s) => ({ ...s, url: subgraphUrlOverride(config, s.name) ?? s.url }));
  const urlOf = new Map(subgraphs.map((s) => [s.name, s.url]));

  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    // Node's fetch (undici) keeps connections to the subgraphs alive.
    buildService: ({ name, url }) =>
      new ForwardingDataSource({
        url: urlOf.get(name) ?? url,
        fetcher: timedFetch(config.SUBGRAPH_TIMEOUT_MS) as never,
        internalApiKey: name === 'auth' ? config.INTERNAL_API_KEY : undefined,
      }),
  });

  // The API schema keeps the Subscription type the subgraphs declare; graphql-ws serves it.
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: loaded }) => {
    apiSchema = loaded;
  });
  // Seed 004 quotas live where replicas share them (Redis); in memory only in the single-process mode.
  const quotaStore = infra.cache instanceof RedisCache ? new RedisQuotaStore(infra.cache.redis) : new MemoryQuotaStore();
  const quotaPolicies = seed004Policies(config);
  // The same limits as every subgraph's (platform/src/query-limits.ts).
  const limits = queryLimitsOf(config);
  const limitRules = queryLimitRules(limits);
  const trustProxyHops = trustedProxyHops(config);

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: formatGraphQLError,
    includeStacktraceInErrorResponses: false,
    introspection,
    hideSchemaDetailsFromClientErrors: production,
    csrfPrevention: true,
    // Batches of at most MAX_BATCH_SIZE (checked below), each operation counted by the rate limiter.
    allowBatchedHttpRequests: true,
    ...queryLimitOptions(limits),
    validationRules: limitRules,
    persistedQueries: { cache: new ApqCache(infra.cache), ttl: 86_400 },
    plugins: [
      errorReportingPlugin<GatewayContext>(),
      complexityLimitPlugin<GatewayContext>(limits.complexity),
      seed004QuotaPlugin(quotaStore, quotaPolicies),
      operationMetricsPlugin(metrics),
      unavailableStatusPlugin<GatewayContext>(),
      // A browser's GET /graphql leads to /graphiql (Apollo's own page needs its CDN); none in production.
      graphiqlLandingPage({ enabled: !production }),
    ],
  });
  await apollo.start();

  const app = createHttpApp({
    service: 'gateway',
    logger,
    metrics,
    trustProxyHops,
    operatorToken: config.OPERATOR_TOKEN,
    // Longer than a subgraph's own checks (1 s), so its answer "database: timed out" arrives.
    healthCheckTimeoutMs: 2_500,
    healthChecks: {
      cache: () => infra.cache.health(),
      events: () => infra.bus.health(),
      ...Object.fromEntries(
        subgraphs.map((s) => [
          `subgraph:${s.name}`,
          async () => {
            // Readiness, not liveness: a subgraph whose database is down is up but cannot serve.
            const res = await fetch(new URL('/health', s.url), { signal: AbortSignal.timeout(2_000) }).catch((err: Error) => {
              if (err.name === 'TimeoutError') return null;
              throw err;
            });
            if (!res) return { ok: false, detail: 'timed out' };
            if (res.ok) return { ok: true };
            const body = (await res.json().catch(() => null)) as { checks?: Record<string, { status: string }> } | null;
            const down = Object.entries(body?.checks ?? {}).filter(([, check]) => check.status === 'down').map(([name]) => name);
            return { ok: false, detail: down.length ? `down: ${down.join(', ')}` : `HTTP ${res.status}` };
          },
        ]),
      ),
    },
  });
  await app.register(cors, {
    origin: config.CORS_ORIGINS,
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Request-Id', 'Apollo-Require-Preflight', 'X-Apollo-Operation-Name'],
    exposedHeaders: ['X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'],
  });

  const rateLimiter = new RateLimiter(infra.cache, config.RATE_LIMIT_WINDOW, { user: config.RATE_LIMIT_USER, anonymous: config.RATE_LIMIT_ANONYMOUS }, {
    logger,
    onFallback: () => metrics.cacheFallbacks.inc({ cache: 'rate-limit', operation: 'count' }),
  });

  await app.register(cookie);

  /**
   * Authentication and rate limiting, shared by /graphql and the REST facade; `cost` requests are
   * counted (a batch's operations). Throws AppErrors.
   */
  const guard = async (request: FastifyRequest, reply: FastifyReply, cost = 1): Promise<AuthContext | undefined> => {
    const limit = async (userId?: string) => {
      const decision = await rateLimiter.check({ userId, ip: request.ip }, cost);
      reply.header('x-ratelimit-limit', decision.limit).header('x-ratelimit-remaining', decision.remaining).header('x-ratelimit-reset', decision.reset);
      if (!decision.allowed) throw new RateLimitError(decision.retryAfter);
    };
    let auth: AuthContext | undefined;
    try {
      auth = await authenticate(infra.verifier, request);
    } catch (err) {
      // A refused token counts against its address before the 401: guessing tokens is throttled too.
      await limit();
      throw err;
    }
    await limit(auth?.userId);
    return auth;
  };

  const graphqlRoute = async (request: FastifyRequest, reply: FastifyReply) => {
    let auth: AuthContext | undefined;
    const batch = Array.isArray(request.body) ? request.body.length : 1;
    try {
      // Each operation of a batch is a request; a batch refused for its size costs one.
      auth = await guard(request, reply, batch > config.MAX_BATCH_SIZE ? 1 : batch);
      if (batch > config.MAX_BATCH_SIZE) {
        throw new ValidationError([{ field: 'body', message: `A batch may hold at most ${config.MAX_BATCH_SIZE} operations` }]);
      }
    } catch (err) {
      if (err instanceof AppError) return sendGraphQLError(request, reply, err);
      throw err;
    }
    return handleGraphQL(apollo, request, reply, async () => ({ auth, requestId: request.requestId, logger: request.log as Logger, clientIp: request.ip }));
  };
  app.route({ method: ['GET', 'POST'], url: '/graphql', handler: graphqlRoute, errorHandler: graphqlRouteErrorHandler });
  // Seed 003's IDE, served from our own packages (no CDN); never in production.
  registerGraphiQL(app, { enabled: !production });
  const cookieOptions = { secure: config.COOKIE_SECURE ?? production, refreshMaxAgeSeconds: config.REFRESH_COOKIE_MAX_AGE };
  const line = await registerLineFacade(app, { config, apollo, cache: infra.cache, bus: infra.bus, verifier: infra.verifier, logger, cookies: cookieOptions });
  registerRestFacade(app, {
    apollo,
    guard,
    // Cookie-authenticated writes must come from one of these (or the gateway's own origin).
    allowedOrigins: [...config.CORS_ORIGINS, new URL(config.PUBLIC_URL).origin],
    chargeQuota: (userId, quota) => quotaStore.consume(quotaPolicies[quota], userId),
    routes: routeTable({
      cookies: cookieOptions,
      logoutRedirectUrl: config.LOGOUT_REDIRECT_URL,
      erasureWaitMs: config.ERASURE_WAIT_MS,
    }),
  });

  const subscriptions = startSubscriptionServer({
    httpServer: app.server,
    apollo,
    schema: () => apiSchema,
    verifier: infra.verifier,
    bus: infra.bus,
    logger,
    metrics,
    validationRules: limitRules,
    maxTokens: limits.tokens,
    maxComplexity: limits.complexity,
    maxValidationErrors: limits.errors,
    maxPayload: config.WS_MAX_PAYLOAD,
    maxOperationsPerConnection: config.WS_MAX_OPERATIONS,
    maxConnectionsPerIp: config.WS_MAX_CONNECTIONS_PER_IP,
    maxBuffered: config.WS_MAX_BUFFERED,
    rateLimiter,
    trustProxyHops,
    hideSchemaDetails: production,
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
      await infra.close();
    },
  };
}
export { loadGatewayConfig, subgraphUrlEnv, type GatewayConfig } from './config.js';
