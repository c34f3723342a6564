/**
 * The route `POST /line/webhook` is served on, with the raw bytes as its body: apart from the
 * handler (webhook-route.ts), so that a gateway without LINE settings (its route answers 503)
 * never loads `@line/bot-sdk`.
 */
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';

export const LINE_WEBHOOK_PATH = '/line/webhook';
/** LINE publishes no maximum batch size; 1 MiB holds hundreds of events. */
const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Registers `handler` in a scope of its own whose only body parser keeps the bytes as a Buffer:
 * the signature covers exactly what LINE sent, so no JSON parser may run before the check.
 */
export async function registerRawBodyRoute(app: FastifyInstance, handler: RouteHandlerMethod): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    scope.post(LINE_WEBHOOK_PATH, handler);
  });
}
