import { ApolloServer, type BaseContext } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { EventBus } from '@app/events';
import type { FastifyInstance } from 'fastify';
import type { DocumentNode } from 'graphql';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { AppError, ForbiddenError, UnauthenticatedError } from '../errors.js';
import type { CheckResult, HealthCheck } from '../http/health.js';
import { createHttpApp, listen } from '../http/http-app.js';
import { operatorTokenEnv } from '../http/operator-access.js';
import { registerEventBusMetrics } from '../observability/event-bus-metrics.js';
import type { Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { type AuthContext, extractToken, isAdmin, type TokenVerifier } from '../security/token-verifier.js';
import type { Service } from '../service/service.js';
import { traceRootResolvers } from '../tracing/resolver-spans.js';
import { tracingEnabled } from '../tracing/tracing-state.js';
import { entitiesLimitPlugin } from './entities-limit.js';
import { errorReportingPlugin, formatGraphQLError, type RequestScoped } from './graphql-errors.js';
import { graphqlRouteErrorHandler, handleGraphQL, sendGraphQLError } from './graphql-http.js';
import { hashWithoutRequire } from './hash-without-require.js';
import { complexityLimitPlugin } from './query-complexity.js';
import { type QueryLimits, queryLimitOptions, queryLimitRules, queryLimitsEnv, queryLimitsOf } from './query-limits.js';

export interface SubgraphContext extends BaseContext, RequestScoped {
  /** Present only when the request carried a token that this subgraph verified itself. */
  auth?: AuthContext;
}

export function requireAuth(ctx: SubgraphContext): AuthContext {
  if (!ctx.auth) throw new UnauthenticatedError();
  return ctx.auth;
}
export function requireAdmin(ctx: SubgraphContext): AuthContext {
  const auth = requireAuth(ctx);
  if (!isAdmin(auth)) throw new ForbiddenError('Admin scope required');
  return auth;
}

/** A resolver only admins may run: `adminOnly((args) => useCase(deps, args.input))`. */
export function adminOnly<A, R>(run: (args: A) => R): (parent: unknown, args: A, ctx: SubgraphContext) => R {
  return (_parent, args, ctx) => {
    requireAdmin(ctx);
    return run(args);
  };
}

/**
 * What every subgraph reads for its protection, whatever its own settings: the gateway's query
 * limits (the same variables, the same defaults), the `_entities` cap and the operator token.
 */
export const subgraphProtectionEnv = {
  ...queryLimitsEnv,
  /** Entity representations one request may ask a subgraph to resolve. */
  MAX_ENTITIES: z.coerce.number().int().min(1).default(500),
  ...operatorTokenEnv,
};
export interface SubgraphProtection {
  limits: QueryLimits;
  maxEntities: number;
  operatorToken?: string;
}
/** The protection settings from the environment (validated: a bad variable stops the start, naming it). */
export function subgraphProtectionFromEnv(env: Record<string, string | undefined> = process.env): SubgraphProtection {
  const config = loadConfig(subgraphProtectionEnv, env);
  return { limits: queryLimitsOf(config), maxEntities: config.MAX_ENTITIES, operatorToken: config.OPERATOR_TOKEN };
}

export interface SubgraphServerOptions<TContext extends SubgraphContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  verifier: TokenVerifier;
  logger: Logger;
  /** Hides introspection and the landing page. */
  production: boolean;
  healthChecks?: Record<string, HealthCheck>;
  /** Adds per-request state (DataLoaders, ...) to the base context. */
  buildContext?: (base: SubgraphContext) => TContext;
  /** Extra HTTP routes (the auth service's JWKS, for one). */
  routes?: (app: FastifyInstance) => void | Promise<void>;
  /** Default: from the process environment (subgraphProtectionFromEnv). */
  protection?: SubgraphProtection;
  /** Whose dead letters and connection `/metrics` reports (registerEventBusMetrics). */
  bus?: EventBus;
  /** The service's registry, when its own parts count things too (cache fallbacks). Default: a new one. */
  metrics?: Metrics;
}

export interface SubgraphServer {
  app: FastifyInstance;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A subgraph service: Apollo Server with a federation schema on `/graphql`, behind the shared
 * HTTP shell. It verifies the caller's token itself (never trusting the gateway blindly), so a
 * subgraph reached directly exposes nothing private; and it holds every operation to the
 * gateway's limits, so one reached directly (or from any container beside it) is no easier to
 * overload than the gateway.
 */
export async function createSubgraphServer<TContext extends SubgraphContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<SubgraphServer> {
  const { name, logger, verifier } = options;
  const { limits, maxEntities, operatorToken } = options.protection ?? subgraphProtectionFromEnv();
  const metrics = options.metrics ?? createMetrics(name);
  if (options.bus) registerEventBusMetrics(metrics.registry, options.bus);
  const app = createHttpApp({ service: name, logger, metrics, healthChecks: options.healthChecks, operatorToken });

  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }]);
  // A span per root field (and `_entities`); with tracing off the resolvers stay unwrapped.
  if (tracingEnabled()) traceRootResolvers(schema);
  hashWithoutRequire();
  const apollo = new ApolloServer<TContext>({
    schema,
    formatError: formatGraphQLError,
    includeStacktraceInErrorResponses: false,
    introspection: !options.production,
    hideSchemaDetailsFromClientErrors: options.production,
    // Our onShutdown owns SIGTERM/SIGINT. Apollo's own handlers (on outside NODE_ENV=test) stop the
    // server, then re-raise the signal: the process died before its pools, bus and outbox stopped.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    // One operation per request: a batch would multiply every limit below by its length.
    allowBatchedHttpRequests: false,
    ...queryLimitOptions(limits),
    // Fields only: the gateway's entity fetches wrap the client's selection in `_entities { ... on T }`.
    validationRules: queryLimitRules(limits, { flattenFragments: true }),
    plugins: [
      errorReportingPlugin<TContext>(),
      complexityLimitPlugin<TContext>(limits.complexity),
      entitiesLimitPlugin<TContext>(maxEntities),
      // Inline traces are for Apollo's hosted studio; this platform reports to no one.
      ApolloServerPluginInlineTraceDisabled(),
      // No schema declares cache hints (every answer is uncacheable, the default): the plugin
      // only wrapped every resolver to compute a policy that is always "no cache".
      ApolloServerPluginCacheControlDisabled(),
      // No landing page: Apollo's loads from its CDN, which the services' CSP (and offline use)
      // refuses; people explore the API through the gateway's /graphiql.
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  const graphqlRoute = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const token = extractToken(request.headers as { authorization?: string; cookie?: string });
    let auth: AuthContext | undefined;
    if (token !== undefined) {
      try {
        auth = await verifier.verify(token);
      } catch (err) {
        return sendGraphQLError(request, reply, err instanceof AppError ? err : new UnauthenticatedError());
      }
    }
    const base: SubgraphContext = { auth, requestId: request.requestId, logger: request.log as Logger };
    return handleGraphQL(apollo, request, reply, async () => (options.buildContext ? options.buildContext(base) : (base as TContext)));
  };
  app.route({ method: ['GET', 'POST'], url: '/graphql', handler: graphqlRoute, errorHandler: graphqlRouteErrorHandler });
  await options.routes?.(app);

  return {
    app,
    listen: (port, host) => listen(app, port, host),
    async close() {
      await app.close();
      await apollo.stop();
    },
  };
}

/** The dependency checks of a subgraph with a database, a cache and an event bus (its `/health`). */
export function dependencyChecks(
  orm: { isConnected(): Promise<boolean> },
  infra: { cache: { health(): Promise<CheckResult> }; bus: { health(): Promise<CheckResult> } },
): Record<string, HealthCheck> {
  return {
    database: async () => ({ ok: await orm.isConnected() }),
    cache: () => infra.cache.health(),
    events: () => infra.bus.health(),
  };
}

/**
 * A subgraph's Service: `close()` stops the HTTP server first (no new requests), then runs `stop`
 * in order (timers, consumers, caches, infrastructure, pool). Idempotent.
 */
export function subgraphService<D>(name: string, server: SubgraphServer, deps: D, stop: (() => unknown)[]): Service & { deps: D } {
  let closing: Promise<void> | undefined;
  return {
    name,
    app: server.app,
    deps,
    listen: server.listen,
    close: () =>
      (closing ??= (async () => {
        await server.close();
        for (const step of stop) await step();
      })()),
  };
}
