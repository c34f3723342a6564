import type { OrdersDeps } from '../deps.js';
import { Erasure } from '../entities/index.js';
import { writeOutbox } from '../outbox/outbox-writer.js';
import { repositories } from '../repositories/index.js';
import { PaymentStatus } from '../saga/saga-names.js';

export const ORDERS_SERVICE = 'orders';
const ERASURE_REASON = 'Account deleted';

/**
 * GDPR erasure (on `users.user.deleted`), in one transaction: the erasure is recorded (the user
 * can place no new order), every unfinished saga of the user gets its stock released (a release
 * command per order: the catalog releases reserved or committed stock, idempotently), every order
 * of the user goes (items and sagas with it), and `users.user.erased` (service "orders") goes to
 * the outbox. After the commit, charges of unfinished sagas are refunded (providers are
 * idempotent). Running it again deletes nothing more and confirms again.
 */
export async function eraseUserData(deps: OrdersDeps, userId: string): Promise<void> {
  const id = userId.toLowerCase();
  const toRefund = await deps.em.fork().transactional(async (tx) => {
    const repos = repositories(tx);
    const now = new Date();
    const existing = await tx.findOne(Erasure, { userId: id });
    if (existing) existing.completedAt = now;
    else tx.create(Erasure, { userId: id, requestedAt: now, completedAt: now });
    const orders = await repos.orders.listIdsForUser(id);
    const unfinished = await repos.sagas.unfinishedOf(orders);
    for (const saga of unfinished) {
      writeOutbox(tx, 'catalog.inventory.release', { sagaId: saga.id, orderId: saga.order, reason: ERASURE_REASON }, now);
    }
    await tx.flush();
    await repos.orders.deleteAllForUser(id);
    writeOutbox(tx, 'users.user.erased', { userId: id, service: ORDERS_SERVICE, erasedAt: now.toISOString() }, now);
    return unfinished.filter((s) => s.paymentStatus === PaymentStatus.Charged).map((s) => s.order);
  });
  deps.nudgeOutbox();
  for (const orderId of toRefund) {
    await deps.payments.refund({ orderId, reason: ERASURE_REASON }).catch((err) => deps.logger.error({ err, orderId }, 'refund after erasure failed'));
  }
}
