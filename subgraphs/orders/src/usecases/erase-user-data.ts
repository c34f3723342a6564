import { Subjects, userErasedMessage } from '@app/events';
import { writeOutbox } from '@app/platform';
import type { OrdersDeps } from '../deps.js';
import { Erasure, type Saga } from '../entities/index.js';
import { repositories } from '../repositories/index.js';
import { lockUserOrders } from '../repositories/user-lock.js';
import { PaymentStatus, SagaCompensation, SagaStep } from '../saga/saga-names.js';

export const ORDERS_SERVICE = 'orders';
const ERASURE_REASON = 'Account deleted';

/**
 * Whether the saga may hold the customer's money: a recorded charge, or a payment step (or its
 * refund) that had started, whose charge may have gone through without being recorded (a lost
 * answer, a crash before the commit). Refunding an order never charged is a no-op.
 */
const mayHoldCharge = (saga: Saga) =>
  saga.paymentStatus !== PaymentStatus.Declined &&
  saga.paymentStatus !== PaymentStatus.Refunded &&
  (saga.paymentStatus === PaymentStatus.Charged ||
    saga.currentStep === SagaStep.ProcessPayment ||
    saga.currentStep === SagaCompensation.RefundPayment);

/**
 * GDPR erasure (on `users.user.deleted`), in one transaction: the erasure is recorded (the user
 * can place no new order: createOrder takes the same per-user lock), every unfinished saga of the
 * user gets its stock released (a release command per order: the catalog releases reserved or
 * committed stock, idempotently), every order of the user goes (items and sagas with it), and
 * `users.user.erased` (service "orders") goes to the outbox. The charges of unfinished sagas are
 * refunded before that transaction commits, with the sagas still locked: once the orders are gone
 * nothing would remember them, so a refund that fails (or a crash) rolls the erasure back and the
 * redelivered request does it again (providers are idempotent by order). Running it again deletes
 * nothing more and confirms again.
 */
export async function eraseUserData(deps: OrdersDeps, userId: string): Promise<void> {
  const id = userId.toLowerCase();
  await deps.em.fork().transactional(async (tx) => {
    const repos = repositories(tx);
    await lockUserOrders(tx, deps.config.DB_SCHEMA, id);
    const now = new Date();
    const existing = await tx.findOne(Erasure, { userId: id });
    if (existing) existing.completedAt = now;
    else tx.create(Erasure, { userId: id, requestedAt: now, completedAt: now });
    const orders = await repos.orders.listIdsForUser(id);
    const unfinished = (await repos.sagas.lockAllOf(orders)).filter((saga) => saga.deadlineAt != null);
    for (const saga of unfinished) {
      writeOutbox(tx, Subjects.CatalogInventoryRelease, { sagaId: saga.id, orderId: saga.order, reason: ERASURE_REASON }, { now });
    }
    await tx.flush();
    await repos.orders.deleteAllForUser(id);
    const erased = userErasedMessage(ORDERS_SERVICE, id, now);
    writeOutbox(tx, erased.subject, erased.payload, { msgId: erased.msgId, now });
    await tx.flush();
    for (const saga of unfinished.filter(mayHoldCharge)) {
      await deps.payments.refund({ orderId: saga.order, reason: ERASURE_REASON });
    }
  });
  deps.nudgeOutbox();
}
