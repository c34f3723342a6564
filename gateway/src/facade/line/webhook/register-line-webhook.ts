import { ServiceUnavailableError, sendError } from '@app/platform/core';
import type { FastifyInstance } from 'fastify';
import { authInternalUrl, type GatewayConfig } from '../../../config.js';
import type { LineFacadeOptions } from '../line-facade-options.js';
import { respond } from './conversation.js';
import { lineAccountResolver } from './line-account.js';
import { startLineEventConsumer } from './line-event-consumer.js';
import { operationRunner } from './operations.js';
import { registerRawBodyRoute } from './raw-body-route.js';

/** What the webhook cannot work without; any unset -> the route answers 503 naming them. */
const REQUIRED = ['LINE_CHANNEL_SECRET', 'LINE_CHANNEL_ACCESS_TOKEN', 'INTERNAL_API_KEY'] as const;

export function missingWebhookSettings(config: GatewayConfig): string[] {
  return REQUIRED.filter((name) => !config[name]);
}

/**
 * `POST /line/webhook` (seed 002): verified, stored durably, answered 200, then processed by a
 * consumer started here (closed by the returned `close`). Unconfigured, the route answers 503.
 */
export async function registerLineWebhook(app: FastifyInstance, options: LineFacadeOptions): Promise<{ close(): Promise<void> }> {
  const { config, bus, cache, logger } = options;
  const missing = missingWebhookSettings(config);
  if (missing.length) {
    const message = `The LINE webhook is not configured: set ${missing.join(', ')}`;
    await registerRawBodyRoute(app, async (request, reply) => sendError(reply, request, new ServiceUnavailableError(message)));
    return { close: async () => {} };
  }
  // Loaded only when LINE is configured: `@line/bot-sdk` is ~380 modules (~0.3 s of CPU and ~2 MB
  // of heap at start) that a gateway without LINE never runs.
  const [{ webhookHandler }, { lineReplier }] = await Promise.all([import('./webhook-route.js'), import('./line-replier.js')]);
  await registerRawBodyRoute(app, webhookHandler({ channelSecret: config.LINE_CHANNEL_SECRET!, bus }));
  const log = logger.child({ component: 'line-webhook' });
  const accountOf = lineAccountResolver({
    authUrl: authInternalUrl(config),
    internalApiKey: config.INTERNAL_API_KEY!,
    verifier: options.verifier,
  });
  const subscription = await startLineEventConsumer({
    bus,
    cache,
    logger: log,
    respond: (event) =>
      respond(
        { accountOf, runAs: (auth, requestId) => operationRunner(options.apollo, auth, requestId, log), publicUrl: config.PUBLIC_URL },
        event,
      ),
    reply: lineReplier({ apiUrl: config.LINE_API_URL, channelAccessToken: config.LINE_CHANNEL_ACCESS_TOKEN!, logger: log }),
  });
  return { close: () => subscription.unsubscribe() };
}
