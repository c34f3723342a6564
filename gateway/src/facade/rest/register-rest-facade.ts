import type { ApolloServer } from '@apollo/server';
import { type AuthContext, RateLimitError, UnauthenticatedError, version } from '@app/platform/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../context.js';
import { lineOpenApiPaths } from '../line/line-openapi.js';
import { registerDocsPage } from './docs-page.js';
import { executeRoute, validateInput, withCaller } from './execute-route.js';
import { buildOpenApiDocument } from './openapi.js';
import { originCheck } from './origin-check.js';
import type { RestRoute } from './route.js';

export interface RestFacadeOptions {
  apollo: ApolloServer<GatewayContext>;
  routes: RestRoute[];
  /** Origins (besides the gateway's own) that cookie-authenticated writes may come from. */
  allowedOrigins: string[];
  /** Authenticates and rate-limits the request (shared with /graphql); throws AppErrors. */
  guard: (request: FastifyRequest, reply: FastifyReply) => Promise<AuthContext | undefined>;
  /** Charges a route's own seed 004 quota (RestRoute.quota) for the user. */
  chargeQuota: (
    userId: string,
    quota: NonNullable<RestRoute['quota']>,
  ) => Promise<{ allowed: boolean; limit: number; remaining: number; reset: number; retryAfter: number }>;
}

/** Mounts every route of the table, `/api/openapi.json` and `/api/docs`. */
export function registerRestFacade(app: FastifyInstance, { apollo, routes, guard, chargeQuota, allowedOrigins }: RestFacadeOptions) {
  const checkOrigin = originCheck(allowedOrigins);
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        // Before anything else: a forged cross-site write does no work at all.
        checkOrigin(request);
        const auth = await guard(request, reply);
        if (route.auth === 'required' && !auth) throw new UnauthenticatedError();
        const input = withCaller(validateInput(route, request), auth);
        if (route.quota && auth) {
          const decision = await chargeQuota(auth.userId, route.quota);
          reply
            .header('x-ratelimit-limit', decision.limit)
            .header('x-ratelimit-remaining', decision.remaining)
            .header('x-ratelimit-reset', decision.reset);
          if (!decision.allowed) throw new RateLimitError(decision.retryAfter);
        }
        return executeRoute(apollo, route, input, auth, request, reply);
      },
    });
  }
  registerHealthRoute(app);
  const document = buildOpenApiDocument(routes, { version });
  document.paths['/api/health'] = { get: HEALTH_OPERATION };
  document.paths['/healthz'] = { get: LIVENESS_OPERATION };
  Object.assign(document.paths, lineOpenApiPaths);
  document.tags.push({ name: 'line' }, { name: 'operations' });
  app.get('/api/openapi.json', async (_req, reply) => reply.send(document));
  registerDocsPage(app);
}

const healthBody = {
  type: 'object',
  required: ['status', 'timestamp', 'version'],
  properties: { status: { enum: ['healthy', 'unhealthy'] }, timestamp: { type: 'string' }, version: { type: 'string' } },
};
const HEALTH_OPERATION = {
  operationId: 'Health',
  summary: "Seed 004's health check: the gateway's readiness (every dependency and subgraph) in short",
  tags: ['relationship-map'],
  security: [],
  responses: {
    200: { description: 'Every dependency and subgraph answers', content: { 'application/json': { schema: healthBody } } },
    503: {
      description: 'Something the gateway needs is down (details: GET /health)',
      content: { 'application/json': { schema: healthBody } },
    },
  },
};

/** `GET /healthz` (seed 002 appendix A, no auth): liveness, served by the HTTP shell of every service. */
const LIVENESS_OPERATION = {
  operationId: 'Liveness',
  summary: 'Liveness: the process can serve (always `ok` while it runs; dependencies are /health)',
  tags: ['operations'],
  security: [],
  responses: {
    200: { description: 'The process is alive', content: { 'text/plain': { schema: { type: 'string', const: 'ok' } } } },
  },
};

/** `GET /api/health` (seed 004, no auth): the gateway's own `/health`, in the seed's short shape. */
function registerHealthRoute(app: FastifyInstance) {
  app.get('/api/health', async (_request, reply) => {
    const report = await app.inject({ method: 'GET', url: '/health' });
    const { status, timestamp, version: running } = report.json() as { status: string; timestamp: string; version: string };
    return reply.code(report.statusCode).send({ status, timestamp, version: running });
  });
}
