import { type InventoryReplySubject, Subjects } from '@app/events';
import type { SagaInput } from './saga-machine.js';
import { SagaCompensation, SagaStep } from './saga-names.js';

/** Which saga input a catalog reply is: the step or compensation it answers, and how. */
const inputs: Record<InventoryReplySubject, (data: { reason?: string }) => SagaInput> = {
  [Subjects.CatalogInventoryReserved]: () => ({ type: 'step_succeeded', step: SagaStep.ReserveInventory }),
  [Subjects.CatalogInventoryReservationFailed]: (data) => ({
    type: 'step_failed',
    step: SagaStep.ReserveInventory,
    reason: data.reason ?? 'The reservation failed',
  }),
  [Subjects.CatalogInventoryCommitted]: () => ({ type: 'step_succeeded', step: SagaStep.ConfirmOrder }),
  [Subjects.CatalogInventoryReleased]: () => ({ type: 'compensation_done', compensation: SagaCompensation.ReleaseInventory }),
};

export const inventoryReplyInput = (subject: InventoryReplySubject, data: { reason?: string }): SagaInput => inputs[subject](data);
