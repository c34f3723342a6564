/**
 * Plain values for the order saga's state machine tests: a clock, the inputs, and every state a
 * saga can be in, each reached by running the machine itself from a new saga (so a fixture can
 * never describe a state the machine does not produce).
 */
import { expect } from 'vitest';
import { decide, type SagaClock, type SagaDecision, type SagaInput, type SagaSnapshot } from '../../src/saga/saga-machine.js';
import { SagaCompensation, SagaStateName, SagaStatusName, SagaStep } from '../../src/saga/saga-names.js';

export const T0 = new Date('2026-03-01T12:00:00.000Z');
export const STEP_TIMEOUT_S = 30;
export const SWEEP_INTERVAL_S = 1;

export const at = (msAfterT0: number) => new Date(T0.getTime() + msAfterT0);

/** SAGA_STEP_TIMEOUT 30 s, SAGA_SWEEP_INTERVAL 1 s (so a local action is retried after 1 s). */
export const clockAt = (msAfterT0 = 0, settings: Partial<Omit<SagaClock, 'now'>> = {}): SagaClock => ({
  now: at(msAfterT0),
  stepTimeoutSeconds: STEP_TIMEOUT_S,
  sweepIntervalSeconds: SWEEP_INTERVAL_S,
  ...settings,
});

/** The saga row as createOrder writes it, before its first step starts. */
export const newSaga = (): SagaSnapshot => ({
  state: SagaStateName.Started,
  status: SagaStatusName.Started,
  currentStep: SagaStep.ReserveInventory,
  completedSteps: [],
  pendingCompensations: [],
  failureReason: null,
  terminalState: null,
  stepStartedAt: T0,
  deadlineAt: null,
  completedAt: null,
});

export const CANCEL_REASON = 'Changed my mind';

export const input = {
  start: { type: 'start' },
  reserved: { type: 'step_succeeded', step: SagaStep.ReserveInventory },
  reservationFailed: { type: 'step_failed', step: SagaStep.ReserveInventory, reason: 'Insufficient stock for product p1' },
  paid: { type: 'step_succeeded', step: SagaStep.ProcessPayment },
  declined: { type: 'step_failed', step: SagaStep.ProcessPayment, reason: 'Payment declined: amount above limit' },
  /** confirm_order's outcome (a local step; also what a commit reply from an earlier catalog means). */
  confirmed: { type: 'step_succeeded', step: SagaStep.ConfirmOrder },
  refunded: { type: 'compensation_done', compensation: SagaCompensation.RefundPayment },
  released: { type: 'compensation_done', compensation: SagaCompensation.ReleaseInventory },
  cancel: { type: 'compensate', reason: CANCEL_REASON, terminal: SagaStateName.Cancelled, includeCurrent: true },
  timeOut: { type: 'time_out' },
  deadline: { type: 'deadline' },
} as const satisfies Record<string, SagaInput>;

export type InputName = keyof typeof input;

/** The saga reached from a new one by these inputs, all at T0; each of them must be a transition. */
export function sagaAfter(...inputs: SagaInput[]): SagaSnapshot {
  return inputs.reduce((saga, next) => {
    const decision = decide(saga, next, clockAt());
    if (!decision.applied) throw new Error(`fixture: ${JSON.stringify(next)} did not apply to ${saga.state}/${saga.status}`);
    return decision.saga;
  }, newSaga());
}

/** Every state of the order saga (the name says what the saga waits for). */
export const states = {
  /** STARTED: the reserve command is out, waiting for the catalog. */
  reserving: () => sagaAfter(input.start),
  /** RUNNING: the payment (local) is due. */
  paying: () => sagaAfter(input.start, input.reserved),
  /** RUNNING: paid; confirm_order (local: it hands the commit to the catalog) is due. */
  confirming: () => sagaAfter(input.start, input.reserved, input.paid),
  /** COMPLETED: the order is CONFIRMED. */
  completed: () => sagaAfter(input.start, input.reserved, input.paid, input.confirmed),
  /** COMPENSATING after a declined payment: the release command is out. */
  releasingAfterDecline: () => sagaAfter(input.start, input.reserved, input.declined),
  /** COMPENSATING after a cancellation while paying: the refund (local) is due. */
  refundingAfterCancel: () => sagaAfter(input.start, input.reserved, input.cancel),
  /** COMPENSATING after a cancellation, refund done: the release command is out. */
  releasingAfterCancel: () => sagaAfter(input.start, input.reserved, input.cancel, input.refunded),
  /** FAILED, state failed: the reservation failed (nothing to undo). */
  failed: () => sagaAfter(input.start, input.reservationFailed),
  /** FAILED, state failed: compensated after a declined payment. */
  failedAfterCompensation: () => sagaAfter(input.start, input.reserved, input.declined, input.released),
  /** FAILED, state cancelled: compensated after a cancellation. */
  cancelled: () => sagaAfter(input.start, input.reserved, input.cancel, input.refunded, input.released),
};

export type StateName = keyof typeof states;

/** The decision changes nothing: the same saga object, no command, no event, nothing due. */
export function expectIgnored(saga: SagaSnapshot, decision: SagaDecision): void {
  expect(decision.saga).toBe(saga);
  expect(decision).toEqual({ saga, orderStatus: null, send: [], applied: false, runLocal: false });
}
