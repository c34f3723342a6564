import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * A message to publish, written in the same transaction as the state change it announces.
 * The relay publishes unsent rows in `seq` order with `id` as the NATS message id (so a
 * re-publish after a crash is dropped by JetStream's dedupe window), then sets `sentAt`.
 */
export const OutboxMessage = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox',
  properties: {
    seq: p.bigint('number').primary().autoincrement(),
    /** The NATS message id (and envelope id). */
    id: p.uuid().unique(),
    subject: p.string().length(100),
    /** durable: JetStream publish; fanout: core NATS broadcast. */
    kind: p.string().length(8),
    payload: p.json<Record<string, unknown>>(),
    createdAt: p.datetime(),
    sentAt: p.datetime().nullable().index(),
    attempts: p.integer().default(0),
    lastError: p.text().nullable(),
  },
});
export type OutboxMessage = InferEntity<typeof OutboxMessage>;
