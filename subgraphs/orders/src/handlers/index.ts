import { type InventoryReplySubject, Subjects, type Subscription } from '@app/events';
import type { OrdersDeps } from '../deps.js';
import { applyProductDeleted, applyProductUpserted } from '../usecases/apply-product-event.js';
import { eraseUserData } from '../usecases/erase-user-data.js';
import { handleInventoryReply } from '../usecases/handle-inventory-reply.js';

/**
 * Durable consumer names: shared by the orders replicas, so each message is handled by one of
 * them. Every handler is idempotent (inbox, versioned upserts, idempotent erasure); a handler
 * that keeps failing is retried `MAX_DELIVER` times, then the message goes to `dlq.<subject>`.
 */
export const ORDERS_DURABLES = {
  reserved: 'orders-inventory-reserved',
  reservationFailed: 'orders-inventory-reservation-failed',
  committed: 'orders-inventory-committed',
  released: 'orders-inventory-released',
  productUpserted: 'orders-product-upserted',
  productDeleted: 'orders-product-deleted',
  userDeleted: 'orders-user-deleted',
} as const;

/** Bounded redelivery: a handler gets this many tries (500 ms apart) before the message is dead-lettered. */
export const MAX_DELIVER = 5;

/**
 * Competing subscribers per saga reply durable in each replica: replies of different sagas are
 * handled side by side (each locks its own saga row), so one slow transaction does not hold up
 * every order behind it. Replies of one saga never race: a saga waits for one reply at a time.
 */
const SAGA_REPLY_HANDLERS = 4;

/** NATS -> use cases. */
export async function subscribeHandlers(deps: OrdersDeps): Promise<Subscription[]> {
  const opts = (durable: string) => ({ durable, maxDeliver: MAX_DELIVER });
  // The read model must also learn the products published before this service first started.
  const readModel = (durable: string) => ({ ...opts(durable), startAt: 'stored' as const });
  const replies = (subject: InventoryReplySubject, durable: string) =>
    Array.from({ length: SAGA_REPLY_HANDLERS }, () => deps.bus.subscribe(subject, (e) => handleInventoryReply(deps, e), opts(durable)));
  return Promise.all([
    ...replies(Subjects.CatalogInventoryReserved, ORDERS_DURABLES.reserved),
    ...replies(Subjects.CatalogInventoryReservationFailed, ORDERS_DURABLES.reservationFailed),
    // No longer sent (confirm_order does not wait for the catalog): one subscriber, so that a reply
    // from a catalog of an earlier release still completes a saga that was waiting for it.
    deps.bus.subscribe(Subjects.CatalogInventoryCommitted, (e) => handleInventoryReply(deps, e), opts(ORDERS_DURABLES.committed)),
    ...replies(Subjects.CatalogInventoryReleased, ORDERS_DURABLES.released),
    deps.bus.subscribe(
      Subjects.CatalogProductUpserted,
      (e) => applyProductUpserted(deps, e.data),
      readModel(ORDERS_DURABLES.productUpserted),
    ),
    deps.bus.subscribe(Subjects.CatalogProductDeleted, (e) => applyProductDeleted(deps, e.data), readModel(ORDERS_DURABLES.productDeleted)),
    deps.bus.subscribe(Subjects.UsersUserDeleted, (e) => eraseUserData(deps, e.data.userId), opts(ORDERS_DURABLES.userDeleted)),
  ]);
}
