import { PaymentStatus, SagaCompensation, SagaStateName, SagaStep } from '../saga-names.js';
import type { SagaStepDefinition } from '../saga-step.js';

/**
 * Step 2 (local): charge the order's total through the PaymentProvider. A decline fails the
 * step (the order is cancelled, stock released); a provider error is retried until the step
 * timeout. Providers are idempotent by order, so a retry after a crash never charges twice.
 * Compensation: refund (a no-op when nothing was charged).
 */
export const processPaymentStep: SagaStepDefinition = {
  name: SagaStep.ProcessPayment,
  kind: 'local',
  state: SagaStateName.ProcessingPayment,
  async run({ deps, saga, order }) {
    const result = await deps.payments.charge({ orderId: order.id, userId: order.userId, amount: String(order.totalAmount) });
    if (result.status === 'declined') {
      saga.paymentStatus = PaymentStatus.Declined;
      return { ok: false, reason: `Payment declined: ${result.reason}` };
    }
    saga.paymentStatus = PaymentStatus.Charged;
    saga.paymentId = result.paymentId;
    return { ok: true };
  },
  compensation: {
    name: SagaCompensation.RefundPayment,
    kind: 'local',
    async run({ deps, saga, order }) {
      if (saga.paymentStatus === PaymentStatus.Declined || saga.paymentStatus === PaymentStatus.Refunded) return { ok: true };
      const result = await deps.payments.refund({ orderId: order.id, reason: saga.failureReason ?? 'order cancelled' });
      if (result.status === 'refunded' && saga.paymentStatus === PaymentStatus.Charged) saga.paymentStatus = PaymentStatus.Refunded;
      return { ok: true };
    },
  },
};
