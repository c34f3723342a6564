import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { withService } from './service-context.js';

/** Probes and scrapes: a span for each would bury the requests in load balancer noise. */
const UNTRACED_ROUTES = new Set(['/healthz', '/health', '/metrics']);

/**
 * A SERVER span per request, child of the caller's `traceparent` when it sent one, and active for
 * everything the request runs (hooks, body parsing, the handler, its database calls): the
 * request's streams are bound to the span's context, since their events fire from the socket's.
 * Registered first, so every other hook runs inside the span.
 */
export function traceHttpRequests(app: FastifyInstance, service: string): void {
  const tracer = trace.getTracer('@app/platform/http');
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route && UNTRACED_ROUTES.has(route)) return done();
    const parent = withService(propagation.extract(ROOT_CONTEXT, request.headers), service);
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?', 1)[0],
          ...(route ? { 'http.route': route } : {}),
          'client.address': request.ip,
          'app.request_id': request.id,
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    context.bind(active, request.raw);
    context.bind(active, reply.raw);
    // 'close' comes once per response, after it was sent or when the client went away.
    reply.raw.once('close', () => {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!reply.raw.writableFinished) span.setAttribute('app.aborted', true);
      span.end();
    });
    context.with(active, done);
  });
}
