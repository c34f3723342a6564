import { Subjects } from '@app/events';
import { outboxRecord } from '@app/platform';
import { SagaStateName, SagaStep } from '../saga-names.js';
import type { SagaStepDefinition } from '../saga-step.js';

/**
 * Step 3 (remote, catalog): the reservation becomes a sale (`catalog.inventory.commit` ->
 * `committed`); the order is then CONFIRMED. No compensation of its own: undoing a confirmed
 * order refunds the payment and releases the (committed) stock through the earlier steps'
 * compensations.
 */
export const confirmOrderStep: SagaStepDefinition = {
  name: SagaStep.ConfirmOrder,
  kind: 'remote',
  state: SagaStateName.Confirming,
  send({ outbox, saga, order, now }) {
    outbox.push(outboxRecord(Subjects.CatalogInventoryCommit, { sagaId: saga.id, orderId: order.id }, { now }));
  },
};
