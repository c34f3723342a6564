import { defineEntity, type EntityClass, type InferEntity, p } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OutboxFollower } from './publish-outbox-message.js';

/** The outbox entity's name: `writeOutbox` and the relay find a service's outbox by it. */
export const OUTBOX_ENTITY_NAME = 'OutboxMessage';

/**
 * The outbox table of one service (`outbox` in the service's schema): a message to publish,
 * written in the same transaction as the state change it announces. The relay publishes unsent
 * rows in `seq` order, with `msgId` (or, when there is none, `id`) as the NATS message id, so a
 * re-publish after a crash is dropped by JetStream's dedupe window, then sets `sentAt`. A row may
 * carry a broadcast too (`broadcastSubject`), published right after its message, and further
 * messages of the same commit (`followers`), each with its own message id and broadcast.
 *
 * A factory, not one shared entity: each service registers its own (MikroORM decorates an
 * entity's prototype for the ORM that discovers it, and every service has an ORM of its own).
 */
export function defineOutboxMessage() {
  return defineEntity({
    name: OUTBOX_ENTITY_NAME,
    tableName: 'outbox',
    properties: {
      seq: p.bigint('number').primary().autoincrement(),
      /** The envelope and NATS message id when `msgId` is null (each row its own). */
      id: p.uuid().unique(),
      /** The publish (dedupe) id the use case chose, e.g. `registered:<user id>`; null: `id`. */
      msgId: p.string().length(200).nullable(),
      subject: p.string().length(100),
      /** durable: JetStream publish; fanout: core NATS broadcast. */
      kind: p.string().length(8),
      payload: p.json<Record<string, unknown>>(),
      /**
       * A broadcast (core NATS) sent right after the row's own message, from the same row: the
       * live copy of a durable event (`live.order.updated` with `orders.order.updated`), one row
       * instead of two. Null: none.
       */
      broadcastSubject: p.string().length(100).nullable(),
      /** The broadcast's payload; null: the row's own `payload` (the same message under another subject). */
      broadcastPayload: p.json<Record<string, unknown>>().nullable(),
      /**
       * Further messages of the same commit, published in order after the row's own (each with
       * its broadcast): a transaction's messages as one row (`groupOutboxRecords`). Null: none.
       */
      followers: p.json<OutboxFollower[]>().nullable(),
      createdAt: p.datetime(),
      sentAt: p.datetime().nullable().index(),
      attempts: p.integer().default(0),
      lastError: p.text().nullable(),
      /** The writer's trace (W3C headers as JSON, serializeTraceContext): the relayed publish continues it. Null outside a trace. */
      traceContext: p.text().nullable(),
    },
  });
}
export type OutboxMessageSchema = ReturnType<typeof defineOutboxMessage>;
export type OutboxMessage = InferEntity<OutboxMessageSchema>;

/** The outbox entity registered in this entity manager's ORM (throws when the service has none). */
export function outboxEntity(em: EntityManager): EntityClass<OutboxMessage> {
  const meta = em.getMetadata().getByClassName<OutboxMessage, false>(OUTBOX_ENTITY_NAME, false);
  if (!meta?.class)
    throw new Error(`this service has no outbox: add defineOutboxMessage() to its entities (and a migration creating the outbox table)`);
  return meta.class as EntityClass<OutboxMessage>;
}

/** The service's outbox table, schema-qualified, for plain SQL (which the ORM does not qualify). */
export function outboxTable(em: EntityManager): string {
  const meta = em.getMetadata().get(outboxEntity(em));
  return `"${meta.schema ?? em.config.get('schema') ?? 'public'}"."${meta.tableName}"`;
}
