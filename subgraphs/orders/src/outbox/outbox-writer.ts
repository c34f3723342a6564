import { eventSchemas, isDurableSubject, type PayloadOf, type Subject } from '@app/events';
import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxMessage } from '../entities/index.js';

/**
 * Adds a message to the outbox inside the caller's transaction. The payload is validated here
 * (the same schema the bus checks when publishing), so a bad message fails the transaction that
 * wrote it instead of blocking the relay later.
 */
export function writeOutbox<S extends Subject>(tx: EntityManager, subject: S, payload: PayloadOf<S>, now = new Date()): OutboxMessage {
  const data = eventSchemas[subject].parse(payload) as Record<string, unknown>;
  return tx.create(OutboxMessage, {
    id: crypto.randomUUID(),
    subject,
    kind: isDurableSubject(subject) ? 'durable' : 'fanout',
    payload: data,
    createdAt: now,
    sentAt: null,
    attempts: 0,
    lastError: null,
  });
}
