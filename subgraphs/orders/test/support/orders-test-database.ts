/**
 * The orders service's use cases on the real Postgres, without the service around them: a private
 * schema (migrated like the service's, dropped at the end), the real repositories and saga code,
 * and the two follow-ups of a commit recorded instead of run (no relay publishes the outbox, no
 * runner runs local actions: the test runs them when it wants, through their use cases).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type EventEnvelope, type InventoryReplySubject, MemoryEventBus, type PayloadOf, Subjects } from '@app/events';
import { type AuthContext, createLogger, openDatabase } from '@app/platform';
import type { MikroORM } from '@mikro-orm/postgresql';
import { inject } from 'vitest';
import { loadOrdersConfig } from '../../src/config.js';
import { database } from '../../src/database.js';
import type { OrdersDeps } from '../../src/deps.js';
import { Order, OutboxMessage, Saga } from '../../src/entities/index.js';
import { SimulatedPaymentProvider } from '../../src/payment/simulated-payment-provider.js';
import { applyProductUpserted } from '../../src/usecases/apply-product-event.js';
import { createOrder } from '../../src/usecases/create-order.js';

/** Orders above this total are declined by the payment provider. */
export const DECLINE_ABOVE = '100';

export interface OrdersTestDatabase {
  deps: OrdersDeps;
  orm: MikroORM;
  /** Saga ids handed to `runLocalSteps`, in order. */
  queued: string[];
  /** A product the read model knows, priced 5. */
  productId: string;
  /** A new order of `quantity` units (5 each: above 20 the payment is declined) and its saga id. */
  placeOrder(quantity?: number): Promise<{ orderId: string; sagaId: string }>;
  /** The saga and order rows as they are now. */
  read(orderId: string): Promise<{ saga: Saga; order: Order }>;
  /** The outbox messages written for this order (each row's own, then its followers), oldest first. */
  outbox(orderId: string): Promise<{ subject: string; payload: Record<string, unknown> }[]>;
  /** Sets columns of the saga row directly (a deadline in the past, as time passing would). */
  setSaga(sagaId: string, fields: Partial<Pick<Saga, 'deadlineAt' | 'stepStartedAt'>>): Promise<void>;
  close(): Promise<void>;
}

export async function openOrdersTestDatabase(settings: { stepTimeoutSeconds?: number } = {}): Promise<OrdersTestDatabase> {
  const { DATABASE_URL } = inject('env');
  const schema = `orders_t${randomBytes(4).toString('hex')}`;
  const config = loadOrdersConfig({
    DATABASE_URL,
    DB_SCHEMA: schema,
    SAGA_STEP_TIMEOUT: String(settings.stepTimeoutSeconds ?? 30),
    SAGA_SWEEP_INTERVAL: '1',
    PAYMENT_DECLINE_ABOVE: DECLINE_ABOVE,
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger('orders-test', 'silent');
  const orm = (await openDatabase({ url: DATABASE_URL, schema, ...database, poolMax: 4, logger })) as MikroORM;
  const bus = new MemoryEventBus();
  const queued: string[] = [];
  const deps: OrdersDeps = {
    em: orm.em,
    bus,
    config,
    logger,
    payments: new SimulatedPaymentProvider(DECLINE_ABOVE),
    nudgeOutbox: () => undefined,
    publishCommitted: () => undefined,
    runLocalSteps: (sagaId) => void queued.push(sagaId),
  };
  const productId = randomUUID();
  await applyProductUpserted(deps, { productId, name: 'Saga widget', price: '5', categoryId: null, updatedAt: new Date().toISOString() });
  const userId = randomUUID();
  const auth: AuthContext = { userId, scopes: [], jti: randomUUID(), issuedAt: 0, expiresAt: 0, token: '' };

  return {
    deps,
    orm,
    queued,
    productId,
    async placeOrder(quantity = 1) {
      const view = await createOrder(deps, auth, { items: [{ productId, quantity }] });
      const saga = await orm.em.fork().findOneOrFail(Saga, { order: view.id });
      return { orderId: view.id, sagaId: saga.id };
    },
    async read(orderId) {
      const em = orm.em.fork();
      return { saga: await em.findOneOrFail(Saga, { order: orderId }), order: await em.findOneOrFail(Order, { id: orderId }) };
    },
    async outbox(orderId) {
      const rows = await orm.em.fork().find(OutboxMessage, {}, { orderBy: { seq: 'asc' } });
      // Each row's messages: its own, then its followers (a transition's commands and events share a row).
      return rows
        .flatMap((r) => [r, ...(r.followers ?? [])])
        .filter((m) => m.payload.orderId === orderId)
        .map((m) => ({ subject: m.subject, payload: m.payload }));
    },
    async setSaga(sagaId, fields) {
      await orm.em.fork().nativeUpdate(Saga, { id: sagaId }, fields);
    },
    async close() {
      await bus.close();
      await orm.em.getConnection().execute(`drop schema if exists "${schema}" cascade`);
      await orm.close();
    },
  };
}

/** A catalog reply to the saga, as the bus would deliver it (a fresh message id unless given). */
export function reply<S extends InventoryReplySubject>(
  subject: S,
  ids: { sagaId: string; orderId: string },
  extra: { reason?: string; id?: string } = {},
): EventEnvelope<S> {
  const data = (
    subject === Subjects.CatalogInventoryReservationFailed ? { ...ids, reason: extra.reason ?? 'Insufficient stock' } : ids
  ) as PayloadOf<S>;
  return { id: extra.id ?? randomUUID(), subject, occurredAt: new Date().toISOString(), data };
}
