import { Subjects } from '@app/events';
import { outboxRecord } from '@app/platform';
import { SagaStateName, SagaStep } from '../saga-names.js';
import type { SagaStepDefinition } from '../saga-step.js';

/**
 * Step 3 (local): the order is confirmed, and the sale is handed to the catalog as a one-way
 * command (`catalog.inventory.commit`, an outbox row of this transition). Nothing is left to
 * decide there: the stock was taken at reserve, so the commit is bookkeeping (the reserved lines
 * become sold) and the order does not wait for it. The outbox and the durable stream deliver it
 * even across a catalog or bus outage; the catalog handles it once per order, and ignores it for
 * an order already released (a cancellation that overtook it). Waiting for a reply here cost a
 * round trip and a transaction per order, and could refund a paid order only because the
 * catalog was slow to write down a sale it had already made. No compensation of its own:
 * undoing a confirmed order refunds the payment and releases the stock through the earlier
 * steps' compensations.
 */
export const confirmOrderStep: SagaStepDefinition = {
  name: SagaStep.ConfirmOrder,
  kind: 'local',
  state: SagaStateName.Confirming,
  async run({ outbox, saga, order, now }) {
    outbox.push(outboxRecord(Subjects.CatalogInventoryCommit, { sagaId: saga.id, orderId: order.id }, { now }));
    return { ok: true };
  },
};
