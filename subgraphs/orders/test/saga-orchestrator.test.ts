/**
 * The order saga's state machine (saga-machine.ts), on plain values: every transition, with the
 * saga's next fields and what the orchestrator must do (commands, order status, local action).
 * Timeouts, stale and duplicate inputs and terminal states: the other saga-orchestrator-*.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decide, dueLocalAction, type SagaDecision, type SagaSnapshot } from '../src/saga/saga-machine.js';
import { SagaCompensation as C, SagaStep as S } from '../src/saga/saga-names.js';
import { at, CANCEL_REASON, clockAt, type InputName, input, newSaga, type StateName, states } from './support/saga-fixtures.js';

const REMOTE_DEADLINE = at(30_000);
const LOCAL_RETRY = at(1_000);

interface Row {
  from: StateName | 'new';
  on: InputName;
  state: string;
  status: string;
  currentStep: string | null;
  completedSteps: string[];
  pendingCompensations: string[];
  send: string[];
  runLocal: boolean;
  orderStatus: SagaDecision['orderStatus'];
  deadlineAt: Date | null;
}

const row = (r: Row) => r;
const initial = (from: Row['from']): SagaSnapshot => (from === 'new' ? newSaga() : states[from]());

/** Every transition of the machine (all at T0; the source states were reached at T0 too). */
const transitions: Row[] = [
  // Forward.
  row({
    from: 'new',
    on: 'start',
    state: 'started',
    status: 'STARTED',
    currentStep: S.ReserveInventory,
    completedSteps: [],
    pendingCompensations: [],
    send: [S.ReserveInventory],
    runLocal: false,
    orderStatus: null,
    deadlineAt: REMOTE_DEADLINE,
  }),
  row({
    from: 'reserving',
    on: 'reserved',
    state: 'processing_payment',
    status: 'RUNNING',
    currentStep: S.ProcessPayment,
    completedSteps: [S.ReserveInventory],
    pendingCompensations: [],
    send: [],
    runLocal: true,
    orderStatus: null,
    deadlineAt: LOCAL_RETRY,
  }),
  row({
    from: 'paying',
    on: 'paid',
    state: 'confirming',
    status: 'RUNNING',
    currentStep: S.ConfirmOrder,
    completedSteps: [S.ReserveInventory, S.ProcessPayment],
    pendingCompensations: [],
    // confirm_order is local: it writes the one-way commit command when it runs.
    send: [],
    runLocal: true,
    orderStatus: null,
    deadlineAt: LOCAL_RETRY,
  }),
  row({
    from: 'confirming',
    on: 'confirmed',
    state: 'completed',
    status: 'COMPLETED',
    currentStep: null,
    completedSteps: [S.ReserveInventory, S.ProcessPayment, S.ConfirmOrder],
    pendingCompensations: [],
    send: [],
    runLocal: false,
    orderStatus: 'CONFIRMED',
    deadlineAt: null,
  }),
  // A step fails: what was done before it is compensated (the failed step did nothing).
  row({
    from: 'reserving',
    on: 'reservationFailed',
    state: 'failed',
    status: 'FAILED',
    currentStep: null,
    completedSteps: [],
    pendingCompensations: [],
    send: [],
    runLocal: false,
    orderStatus: 'CANCELLED',
    deadlineAt: null,
  }),
  row({
    from: 'paying',
    on: 'declined',
    state: 'compensating',
    status: 'COMPENSATING',
    currentStep: C.ReleaseInventory,
    completedSteps: [S.ReserveInventory],
    pendingCompensations: [C.ReleaseInventory],
    send: [C.ReleaseInventory],
    runLocal: false,
    orderStatus: null,
    deadlineAt: REMOTE_DEADLINE,
  }),
  row({
    from: 'releasingAfterDecline',
    on: 'released',
    state: 'failed',
    status: 'FAILED',
    currentStep: null,
    completedSteps: [S.ReserveInventory],
    pendingCompensations: [],
    send: [],
    runLocal: false,
    orderStatus: 'CANCELLED',
    deadlineAt: null,
  }),
  // Cancelled in each state: the current step is undone too (its command may have landed), latest first.
  row({
    from: 'reserving',
    on: 'cancel',
    state: 'compensating',
    status: 'COMPENSATING',
    currentStep: C.ReleaseInventory,
    completedSteps: [],
    pendingCompensations: [C.ReleaseInventory],
    send: [C.ReleaseInventory],
    runLocal: false,
    orderStatus: null,
    deadlineAt: REMOTE_DEADLINE,
  }),
  row({
    from: 'paying',
    on: 'cancel',
    state: 'compensating',
    status: 'COMPENSATING',
    currentStep: C.RefundPayment,
    completedSteps: [S.ReserveInventory],
    pendingCompensations: [C.RefundPayment, C.ReleaseInventory],
    send: [],
    runLocal: true,
    orderStatus: null,
    deadlineAt: LOCAL_RETRY,
  }),
  row({
    from: 'confirming',
    on: 'cancel',
    state: 'compensating',
    status: 'COMPENSATING',
    currentStep: C.RefundPayment,
    completedSteps: [S.ReserveInventory, S.ProcessPayment],
    pendingCompensations: [C.RefundPayment, C.ReleaseInventory],
    send: [],
    runLocal: true,
    orderStatus: null,
    deadlineAt: LOCAL_RETRY,
  }),
  row({
    from: 'completed',
    on: 'cancel',
    state: 'compensating',
    status: 'COMPENSATING',
    currentStep: C.RefundPayment,
    completedSteps: [S.ReserveInventory, S.ProcessPayment, S.ConfirmOrder],
    pendingCompensations: [C.RefundPayment, C.ReleaseInventory],
    send: [],
    runLocal: true,
    orderStatus: null,
    deadlineAt: LOCAL_RETRY,
  }),
  // Compensations, one after the other.
  row({
    from: 'refundingAfterCancel',
    on: 'refunded',
    state: 'compensating',
    status: 'COMPENSATING',
    currentStep: C.ReleaseInventory,
    completedSteps: [S.ReserveInventory],
    pendingCompensations: [C.ReleaseInventory],
    send: [C.ReleaseInventory],
    runLocal: false,
    orderStatus: null,
    deadlineAt: REMOTE_DEADLINE,
  }),
  row({
    from: 'releasingAfterCancel',
    on: 'released',
    state: 'cancelled',
    status: 'FAILED',
    currentStep: null,
    completedSteps: [S.ReserveInventory],
    pendingCompensations: [],
    send: [],
    runLocal: false,
    orderStatus: 'CANCELLED',
    deadlineAt: null,
  }),
];

describe('the order saga state machine: transitions', () => {
  it.each(transitions)('$from --$on--> $state/$status', (r) => {
    const saga = initial(r.from);
    const decision = decide(saga, input[r.on], clockAt());
    expect(decision).toMatchObject({ applied: true, send: r.send, runLocal: r.runLocal, orderStatus: r.orderStatus });
    expect(decision.saga).toMatchObject({
      state: r.state,
      status: r.status,
      currentStep: r.currentStep,
      completedSteps: r.completedSteps,
      pendingCompensations: r.pendingCompensations,
      deadlineAt: r.deadlineAt,
    });
    // The input saga is a value: the machine never writes into it.
    expect(saga).toEqual(initial(r.from));
  });

  it('starting an action stamps when it began; ending the saga stamps when it ended', () => {
    const started = decide(states.reserving(), input.reserved, clockAt(5_000)).saga;
    expect(started.stepStartedAt).toEqual(at(5_000));
    expect(started.completedAt).toBeNull();
    const confirmed = decide(states.confirming(), input.confirmed, clockAt(7_000)).saga;
    expect(confirmed.completedAt).toEqual(at(7_000));
    const failed = decide(states.reserving(), input.reservationFailed, clockAt(9_000)).saga;
    expect(failed.completedAt).toEqual(at(9_000));
  });

  it('a failure records its reason and ends in state failed; a cancellation records the caller reason and ends in state cancelled', () => {
    const failing = decide(states.paying(), input.declined, clockAt()).saga;
    expect(failing).toMatchObject({ failureReason: input.declined.reason, terminalState: 'failed' });
    expect(decide(failing, input.released, clockAt()).saga).toMatchObject({
      state: 'failed',
      status: 'FAILED',
      failureReason: input.declined.reason,
    });
    expect(decide(states.reserving(), input.reservationFailed, clockAt()).saga).toMatchObject({
      state: 'failed',
      failureReason: input.reservationFailed.reason,
    });
    const cancelling = decide(states.confirming(), input.cancel, clockAt()).saga;
    expect(cancelling).toMatchObject({ failureReason: CANCEL_REASON, terminalState: 'cancelled' });
    expect(states.cancelled()).toMatchObject({ state: 'cancelled', status: 'FAILED', failureReason: CANCEL_REASON });
  });

  it('cancelling a confirmed order clears its completion time until the compensation ends', () => {
    const confirmed = sagaCompletedAt(3_000);
    expect(confirmed.completedAt).toEqual(at(3_000));
    expect(decide(confirmed, input.cancel, clockAt(4_000)).saga.completedAt).toBeNull();
  });

  it('a failure reason is cut to the column length (1000 characters)', () => {
    const long = { ...input.declined, reason: 'x'.repeat(1500) };
    expect(decide(states.paying(), long, clockAt()).saga.failureReason).toHaveLength(1000);
  });

  it('a local action is retried after SAGA_SWEEP_INTERVAL, at least 1 s and at most SAGA_STEP_TIMEOUT', () => {
    const deadline = (settings: { stepTimeoutSeconds?: number; sweepIntervalSeconds?: number }) =>
      decide(states.reserving(), input.reserved, clockAt(0, settings)).saga.deadlineAt;
    expect(deadline({ sweepIntervalSeconds: 5 })).toEqual(at(5_000));
    expect(deadline({ sweepIntervalSeconds: 0.2 })).toEqual(at(1_000));
    expect(deadline({ sweepIntervalSeconds: 5, stepTimeoutSeconds: 0.5 })).toEqual(at(500));
    // A remote action waits SAGA_STEP_TIMEOUT for its reply.
    expect(decide(newSaga(), input.start, clockAt(0, { stepTimeoutSeconds: 2.5 })).saga.deadlineAt).toEqual(at(2_500));
  });

  it('names the local action due in each state (the runner runs it after the commit)', () => {
    expect(dueLocalAction(states.paying())).toEqual({ phase: 'step', name: S.ProcessPayment });
    expect(dueLocalAction(states.confirming())).toEqual({ phase: 'step', name: S.ConfirmOrder });
    expect(dueLocalAction(states.refundingAfterCancel())).toEqual({ phase: 'compensation', name: C.RefundPayment });
    for (const name of ['reserving', 'completed', 'releasingAfterDecline', 'failed', 'cancelled'] as const) {
      expect(dueLocalAction(states[name]()), name).toBeNull();
    }
  });
});

function sagaCompletedAt(ms: number): SagaSnapshot {
  return decide(states.confirming(), input.confirmed, clockAt(ms)).saga;
}
