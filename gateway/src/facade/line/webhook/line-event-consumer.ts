/**
 * Processes the stored webhook events: once per webhookEventId and in order. The durable is
 * serial (one event in flight across every gateway replica, in stream order), so one user's
 * steps apply in the order LINE sent them. Once-only: JetStream drops repeats within its 2-minute
 * dedupe window; a marker in the shared cache, set after the event's writes, skips later
 * redeliveries (for MARKER_TTL_SECONDS; older events are not acted on).
 */
import { type EventBus, Subjects, type Subscription } from '@app/events';
import { type Cache, cacheKeys, type Logger } from '@app/platform/core';
import type { messagingApi } from '@line/bot-sdk';
import type { Replier } from './line-replier.js';
import { type LineEvent, parseLineEvent } from './webhook-events.js';

export const LINE_WEBHOOK_DURABLE = 'gateway-line-webhook';
const MARKER_TTL_SECONDS = 3 * 86_400;

export interface LineEventConsumerOptions {
  bus: EventBus;
  cache: Cache;
  logger: Logger;
  respond(event: LineEvent): Promise<messagingApi.Message[] | null>;
  reply: Replier;
}

export async function startLineEventConsumer(options: LineEventConsumerOptions): Promise<Subscription> {
  return options.bus.subscribe(Subjects.LineWebhookReceived, (envelope) => processOnce(options, envelope.data.event), {
    durable: LINE_WEBHOOK_DURABLE,
    serial: true,
    // A durable created after events were stored (first deployment) still gets them.
    startAt: 'stored',
    maxDeliver: 5,
    backoffMs: 1_000,
    ackWaitMs: 60_000,
  });
}

async function processOnce(options: LineEventConsumerOptions, raw: unknown): Promise<void> {
  const { cache, logger } = options;
  const parsed = parseLineEvent(raw);
  if (!parsed.ok) return logger.warn({ error: parsed.error }, 'skipping a stored LINE event that does not parse');
  const event = parsed.value;
  const log = logger.child({ webhookEventId: event.webhookEventId, isRedelivery: event.isRedelivery });
  if (Date.now() - event.timestamp > MARKER_TTL_SECONDS * 1000)
    return log.warn('skipping a LINE event older than its once-only marker would live');
  const marker = cacheKeys.lineWebhookProcessed(event.webhookEventId);
  // A failed read throws: better late (retried) than twice.
  if (await cache.get(marker)) return log.debug('LINE event already processed');
  const messages = await options.respond(event);
  // After the writes, before the reply: a failed reply must not make the writes happen again.
  await cache
    .set(marker, new Date().toISOString(), MARKER_TTL_SECONDS)
    .catch((err) => log.error({ err }, 'could not mark a LINE event processed'));
  if (messages?.length && event.replyToken) await options.reply(event.replyToken, messages);
}
