import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { AppError, ErrorCode, httpStatusOf, retryAfterOf } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { version } from '../service/version.js';
import { traceHttpRequests } from '../tracing/http-server-spans.js';
import { tracingEnabled } from '../tracing/tracing-state.js';
import { type HealthCheck, publicHealth, runHealthChecks } from './health.js';
import { isOperator } from './operator-access.js';
import { securityHeaders } from './security-headers.js';

declare module 'fastify' {
  interface FastifyRequest {
    requestId: string;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  metrics: Metrics;
  healthChecks?: Record<string, HealthCheck>;
  /**
   * How long each readiness check may take before it counts as down ("timed out"). Default
   * 1000 ms; the gateway, whose checks ask the subgraphs' own /health, waits longer than they do.
   */
  healthCheckTimeoutMs?: number;
  /** Largest accepted request body. Default 1 MiB. */
  bodyLimit?: number;
  /**
   * Proxies of ours in front of the service: the client address is taken that many entries from
   * the right of X-Forwarded-For (TRUST_PROXY_HOPS). Default 0: the socket's address.
   */
  trustProxyHops?: number;
  /** OPERATOR_TOKEN: who may read /metrics and the detailed /health (unset: loopback clients only). */
  operatorToken?: string;
  /** Requests slower than this are answered 503. Default 30 s. */
  requestTimeoutMs?: number;
}

/**
 * RFC 6750's challenge on a 401 (seed 002 asks for it): how to authenticate, and whether the
 * credentials sent were refused. (A 403 here is not always about a token's scope, so none there.)
 */
function bearerChallenge(err: AppError, request: FastifyRequest): string | undefined {
  if (err.code !== ErrorCode.UNAUTHENTICATED) return undefined;
  const sentCredentials = !!request.headers.authorization || /(?:^|;\s*)access_token=/.test(request.headers.cookie ?? '');
  return sentCredentials ? 'Bearer error="invalid_token"' : 'Bearer';
}

/** The body of every REST error (seed 002): `{ code, message, requestId, details? }`. */
export function sendError(reply: FastifyReply, request: FastifyRequest, err: AppError) {
  const { validationErrors, ...rest } = err.details as Record<string, unknown>;
  const details = validationErrors ? { validationErrors, ...rest } : Object.keys(rest).length ? rest : undefined;
  const retryAfter = retryAfterOf(err);
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  const challenge = bearerChallenge(err, request);
  if (challenge && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', challenge);
  return reply
    .code(httpStatusOf[err.code])
    .type('application/json; charset=utf-8')
    .send({ code: err.code, message: err.message, requestId: request.requestId, ...(details ? { details } : {}) });
}

/**
 * The HTTP shell every service shares: request ids (kept from `x-request-id` when well formed),
 * request-scoped logs, metrics, JSON body parsing that answers bad JSON with 400, and the
 * `/healthz` (liveness), `/health` (dependencies) and `/metrics` (Prometheus) routes; with tracing
 * on, a server span per request (traceHttpRequests).
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const { service, logger, metrics } = options;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Requests are logged once, with their outcome, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    keepAliveTimeout: 65_000,
    // A function, not the number: Fastify 5 trusts no hop of a numeric trustProxy (fail closed).
    trustProxy: options.trustProxyHops ? (_address: string, hop: number) => hop < options.trustProxyHops! : false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });
  // First, so every other hook runs inside the request's span (with tracing off: no hook at all).
  if (tracingEnabled()) traceHttpRequests(app, service);

  app.decorateRequest('requestId', '');
  app.addHook('onRequest', async (request, reply) => {
    request.requestId = request.id;
    // Security headers on every response (a route may replace one with its own).
    reply.headers(securityHeaders);
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500) request.log.warn({ method: request.method, url: request.url, status: reply.statusCode }, 'request failed');
    else request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });

  registerErrorHandling(app);
  registerOperationalRoutes(app, options);
  return app;
}

/** JSON bodies (bad JSON is a 400), and every error answered in the platform's one shape. */
function registerErrorHandling(app: FastifyInstance): void {
  // JSON bodies: a parse failure is the client's fault (400), never a 500 with a stack.
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(/^application\/(.+\+)?json/, { parseAs: 'string' }, (_req, body, done) => {
    if (body === '' || body === undefined) return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(
        new AppError(ErrorCode.VALIDATION_ERROR, 'Malformed JSON body', {
          validationErrors: [{ field: 'body', message: 'Malformed JSON' }],
        }),
        undefined,
      );
    }
  });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof AppError) return sendError(reply, request, err);
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      const code = status === 404 ? ErrorCode.NOT_FOUND : status === 429 ? ErrorCode.RATE_LIMIT_EXCEEDED : ErrorCode.VALIDATION_ERROR;
      return reply.code(status).send({ code, message: (err as Error).message, requestId: request.requestId });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ code: ErrorCode.INTERNAL_ERROR, message: 'Internal server error', requestId: request.requestId });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      code: ErrorCode.NOT_FOUND,
      message: `No route for ${request.method} ${request.url.split('?')[0]}`,
      requestId: request.requestId,
    }),
  );
}

/** `/healthz` (liveness), `/health` (dependencies) and `/metrics` (Prometheus). */
function registerOperationalRoutes(app: FastifyInstance, options: HttpAppOptions): void {
  const { service, metrics } = options;
  // Liveness and the health status are public (load balancers); latencies, error texts and the
  // metrics are for operators (isOperator).
  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/health', async (request, reply) => {
    const report = await runHealthChecks(service, version, options.healthChecks ?? {}, options.healthCheckTimeoutMs ?? 1_000);
    return reply
      .code(report.status === 'healthy' ? 200 : 503)
      .send(isOperator(request, options.operatorToken) ? report : publicHealth(report));
  });
  app.get('/metrics', async (request, reply) => {
    if (!isOperator(request, options.operatorToken)) {
      // With a token configured the caller may present it; without, there is nothing to present.
      if (!options.operatorToken) return reply.callNotFound();
      reply.header('www-authenticate', 'Bearer');
      return sendError(reply, request, new AppError(ErrorCode.UNAUTHENTICATED, 'Operator token required'));
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

/** Listens and returns the bound port (0 picks a free one). */
export async function listen(app: FastifyInstance, port: number, host = '0.0.0.0'): Promise<number> {
  await app.listen({ port, host });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  return address.port;
}
