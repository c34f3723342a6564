/**
 * `POST /line/webhook`'s handler: signature over the raw bytes, parse, store each event durably, then 200.
 * Nothing is processed here: LINE wants a quick answer, and an event stored before the 200 is
 * processed even if this process dies right after answering (the consumer picks it up).
 */
import { type EventBus, Subjects } from '@app/events';
import { ServiceUnavailableError, sendError, UnauthenticatedError, ValidationError } from '@app/platform/core';
import { validateSignature } from '@line/bot-sdk';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseWebhookBody, type WebhookBody } from './webhook-events.js';

export interface WebhookRouteOptions {
  channelSecret: string;
  bus: EventBus;
}

export function webhookHandler(options: WebhookRouteOptions) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const signature = request.headers['x-line-signature'];
    if (typeof signature !== 'string' || !validateSignature(body, options.channelSecret, signature)) {
      return sendError(reply, request, new UnauthenticatedError('Missing or invalid x-line-signature'));
    }
    const parsed = parseWebhookBody(body);
    if (!parsed.ok)
      return sendError(reply, request, new ValidationError([{ field: 'body', message: parsed.error }], 'Not a LINE webhook body'));
    try {
      await store(options.bus, parsed.value);
    } catch (err) {
      // Not answering 200 makes LINE redeliver; what was stored already is deduplicated.
      request.log.error({ err }, 'LINE webhook events could not be stored');
      return sendError(reply, request, new ServiceUnavailableError('The events could not be stored; please redeliver'));
    }
    return reply.code(200).send({});
  };
}

/** One at a time, in batch order: the stream's order is the order the consumer processes them in. */
async function store(bus: EventBus, body: WebhookBody): Promise<void> {
  const receivedAt = new Date().toISOString();
  for (const event of body.raw) {
    // JetStream drops a repeat of this id within its dedupe window (LINE's quick redeliveries).
    await bus.publish(
      Subjects.LineWebhookReceived,
      { destination: body.destination, receivedAt, event },
      { msgId: `line-webhook:${event.webhookEventId}` },
    );
  }
}
