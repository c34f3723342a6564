import type { SagaStatus } from '@app/events';

/**
 * Every name of the order saga, in one place: forward steps, their compensations, the lower-case
 * `SagaState.state` values and the statuses. Clients see these strings (`currentStep`,
 * `completedSteps`, `state`), so they never change.
 */
export const SagaStep = {
  ReserveInventory: 'reserve_inventory',
  ProcessPayment: 'process_payment',
  ConfirmOrder: 'confirm_order',
} as const;
export type SagaStepName = (typeof SagaStep)[keyof typeof SagaStep];

export const SagaCompensation = {
  RefundPayment: 'refund_payment',
  ReleaseInventory: 'release_inventory',
} as const;
export type SagaCompensationName = (typeof SagaCompensation)[keyof typeof SagaCompensation];

/** `SagaState.state`. */
export const SagaStateName = {
  Started: 'started',
  ProcessingPayment: 'processing_payment',
  Confirming: 'confirming',
  Completed: 'completed',
  Compensating: 'compensating',
  /** Ended after a step failed or timed out (compensated). */
  Failed: 'failed',
  /** Ended after cancelOrder (compensated). */
  Cancelled: 'cancelled',
} as const;
export type SagaStateName = (typeof SagaStateName)[keyof typeof SagaStateName];

/** `SagaState.status` (the SagaStatus enum). */
export const SagaStatusName = {
  Started: 'STARTED',
  Running: 'RUNNING',
  Completed: 'COMPLETED',
  /** The saga ended without completing: compensated after a failure, a timeout or a cancellation. */
  Failed: 'FAILED',
  Compensating: 'COMPENSATING',
} as const satisfies Record<string, SagaStatus>;

/** How a compensation ends: the saga's final state. */
export type TerminalState = typeof SagaStateName.Failed | typeof SagaStateName.Cancelled;

/** Payment bookkeeping on the saga row. */
export const PaymentStatus = { Charged: 'charged', Declined: 'declined', Refunded: 'refunded' } as const;
