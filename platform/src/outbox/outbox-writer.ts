import { eventSchemas, isDurableSubject, type PayloadOf, type Subject } from '@app/events';
import type { EntityManager } from '@mikro-orm/postgresql';
import { serializeTraceContext } from '../tracing/trace-context.js';
import { type OutboxMessage, outboxEntity } from './outbox-message.js';

export interface WriteOutboxOptions {
  /**
   * The publish (dedupe) id, as `bus.publish` takes it: a use case that may write the same
   * message twice (a redelivered event, a retried request) gives one, so JetStream keeps one
   * copy. Default: the row's own id. Ignored for fan-out subjects (broadcasts have no dedupe).
   */
  msgId?: string;
  /** The row's `createdAt`. Default: now. */
  now?: Date;
}

/**
 * Adds a message to the service's outbox inside the caller's transaction (or unit of work: the
 * row is persisted with the caller's next flush, so the change and its message commit together).
 * The payload is validated here (the same schema the bus checks when publishing), so a bad
 * message fails the transaction that wrote it instead of blocking the relay later. The active
 * trace goes with the row, so the relayed publish joins the request's trace. After the
 * commit, nudge the relay (`OutboxRelay.nudge`) so it publishes at once instead of at its next poll.
 */
export function writeOutbox<S extends Subject>(
  tx: EntityManager,
  subject: S,
  payload: PayloadOf<S>,
  options: WriteOutboxOptions = {},
): OutboxMessage {
  const data = eventSchemas[subject].parse(payload) as Record<string, unknown>;
  const durable = isDurableSubject(subject);
  return tx.create(outboxEntity(tx), {
    id: crypto.randomUUID(),
    msgId: durable ? (options.msgId ?? null) : null,
    subject,
    kind: durable ? 'durable' : 'fanout',
    payload: data,
    createdAt: options.now ?? new Date(),
    sentAt: null,
    attempts: 0,
    lastError: null,
    traceContext: serializeTraceContext(),
  });
}
