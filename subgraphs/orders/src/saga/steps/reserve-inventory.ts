import { Subjects } from '@app/events';
import { outboxRecord } from '@app/platform';
import { SagaCompensation, SagaStateName, SagaStep } from '../saga-names.js';
import type { SagaStepDefinition } from '../saga-step.js';

/**
 * Step 1 (remote, catalog): reserve every line of the order or none
 * (`catalog.inventory.reserve` -> `reserved` | `reservation_failed`).
 * Compensation: `catalog.inventory.release` -> `released`. The catalog releases reserved and
 * committed stock alike, answers `released` for an order it holds nothing for, and remembers an
 * order released before its reserve arrived, so the release is safe whatever happened before.
 */
export const reserveInventoryStep: SagaStepDefinition = {
  name: SagaStep.ReserveInventory,
  kind: 'remote',
  state: SagaStateName.Started,
  send({ outbox, saga, order, items, now }) {
    // Sent when the saga starts (createOrder holds the items): no later transition sends it again.
    if (!items) throw new Error('the reserve command needs the order items');
    outbox.push(
      outboxRecord(
        Subjects.CatalogInventoryReserve,
        { sagaId: saga.id, orderId: order.id, items: items.map((i) => ({ productId: i.productId, quantity: i.quantity })) },
        { now },
      ),
    );
  },
  compensation: {
    name: SagaCompensation.ReleaseInventory,
    kind: 'remote',
    send({ outbox, saga, order, now }) {
      outbox.push(
        outboxRecord(
          Subjects.CatalogInventoryRelease,
          { sagaId: saga.id, orderId: order.id, reason: saga.failureReason ?? 'order cancelled' },
          { now },
        ),
      );
    },
  },
};
