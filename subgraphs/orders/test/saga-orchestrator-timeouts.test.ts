/**
 * The order saga's timeouts (saga-machine.ts, plain values): every step past its deadline leads
 * to compensation, a local action that did not finish is retried until the step timeout, a
 * compensation past its deadline is retried (never given up), and a deadline not yet passed (the
 * sweeper read a saga another transaction moved since) changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../src/saga/saga-machine.js';
import { SagaCompensation as C, SagaStep as S } from '../src/saga/saga-names.js';
import { at, clockAt, expectIgnored, input, STEP_TIMEOUT_S, states } from './support/saga-fixtures.js';

const TIMEOUT_MS = STEP_TIMEOUT_S * 1000;
const reasonFor = (step: string) => `Step ${step} timed out after ${STEP_TIMEOUT_S} s`;

describe('the order saga state machine: each step timing out compensates', () => {
  it('reserve_inventory without an answer by its deadline: its reservation is released (it may have landed), order CANCELLED once released', () => {
    const saga = states.reserving();
    expect(saga.deadlineAt).toEqual(at(TIMEOUT_MS));
    const decision = decide(saga, input.deadline, clockAt(TIMEOUT_MS));
    expect(decision).toMatchObject({ applied: true, send: [C.ReleaseInventory], runLocal: false, orderStatus: null });
    expect(decision.saga).toMatchObject({
      state: 'compensating',
      status: 'COMPENSATING',
      currentStep: C.ReleaseInventory,
      pendingCompensations: [C.ReleaseInventory],
      failureReason: reasonFor(S.ReserveInventory),
      terminalState: 'failed',
      stepStartedAt: at(TIMEOUT_MS),
      deadlineAt: at(2 * TIMEOUT_MS),
    });
    const ended = decide(decision.saga, input.released, clockAt(TIMEOUT_MS + 10));
    expect(ended).toMatchObject({
      applied: true,
      orderStatus: 'CANCELLED',
      saga: { state: 'failed', status: 'FAILED', currentStep: null, deadlineAt: null },
    });
  });

  it('process_payment past the step timeout (a provider failing or hanging): refund, then release', () => {
    const saga = { ...states.paying(), deadlineAt: at(TIMEOUT_MS) };
    const decision = decide(saga, input.deadline, clockAt(TIMEOUT_MS));
    expect(decision).toMatchObject({ applied: true, send: [], runLocal: true, orderStatus: null });
    expect(decision.saga).toMatchObject({
      status: 'COMPENSATING',
      currentStep: C.RefundPayment,
      pendingCompensations: [C.RefundPayment, C.ReleaseInventory],
      failureReason: reasonFor(S.ProcessPayment),
      terminalState: 'failed',
    });
    const releasing = decide(decision.saga, input.refunded, clockAt(TIMEOUT_MS + 10));
    expect(releasing).toMatchObject({
      applied: true,
      send: [C.ReleaseInventory],
      saga: { currentStep: C.ReleaseInventory, pendingCompensations: [C.ReleaseInventory] },
    });
  });

  it('process_payment past its retry deadline but within the step timeout: retried, not timed out', () => {
    const saga = states.paying();
    expect(saga.deadlineAt).toEqual(at(1_000));
    const decision = decide(saga, input.deadline, clockAt(1_000));
    expect(decision).toMatchObject({ applied: false, send: [], runLocal: true, orderStatus: null });
    expect(decision.saga).toEqual({ ...saga, deadlineAt: at(2_000) });
    // Just before the step timeout: still a retry; at it: the timeout.
    expect(decide({ ...saga, deadlineAt: at(TIMEOUT_MS - 1) }, input.deadline, clockAt(TIMEOUT_MS - 1)).saga.status).toBe('RUNNING');
    expect(decide({ ...saga, deadlineAt: at(TIMEOUT_MS - 1) }, input.deadline, clockAt(TIMEOUT_MS)).saga.status).toBe('COMPENSATING');
  });

  it('confirm_order (local) not run by its retry deadline (a crash after the payment committed): retried; at the step timeout: refund, then release', () => {
    const saga = states.confirming();
    const retry = decide(saga, input.deadline, clockAt(1_000));
    expect(retry).toMatchObject({ applied: false, send: [], runLocal: true, orderStatus: null });
    expect(retry.saga).toEqual({ ...saga, deadlineAt: at(2_000) });
    const decision = decide({ ...saga, deadlineAt: at(TIMEOUT_MS) }, input.deadline, clockAt(TIMEOUT_MS));
    expect(decision).toMatchObject({ applied: true, send: [], runLocal: true });
    expect(decision.saga).toMatchObject({
      status: 'COMPENSATING',
      currentStep: C.RefundPayment,
      // confirm_order has no compensation of its own: the earlier steps' undo the sale.
      pendingCompensations: [C.RefundPayment, C.ReleaseInventory],
      failureReason: reasonFor(S.ConfirmOrder),
    });
  });

  it('the time_out input times out the current forward step whatever its deadline', () => {
    for (const [name, step] of [
      ['reserving', S.ReserveInventory],
      ['paying', S.ProcessPayment],
      ['confirming', S.ConfirmOrder],
    ] as const) {
      const decision = decide(states[name](), input.timeOut, clockAt(5));
      expect(decision.applied, name).toBe(true);
      expect(decision.saga).toMatchObject({ status: 'COMPENSATING', failureReason: reasonFor(step) });
    }
    for (const name of ['releasingAfterDecline', 'refundingAfterCancel', 'completed', 'failed', 'cancelled'] as const) {
      const saga = states[name]();
      expectIgnored(saga, decide(saga, input.timeOut, clockAt(TIMEOUT_MS * 10)));
    }
  });

  it('the reason names the configured timeout', () => {
    const decision = decide(states.reserving(), input.timeOut, clockAt(0, { stepTimeoutSeconds: 0.5 }));
    expect(decision.saga.failureReason).toBe('Step reserve_inventory timed out after 0.5 s');
  });
});

describe('the order saga state machine: compensations past their deadline are retried', () => {
  it('a refund that did not finish runs again after SAGA_SWEEP_INTERVAL (no event, nothing else changes)', () => {
    const saga = states.refundingAfterCancel();
    const decision = decide(saga, input.deadline, clockAt(1_000));
    expect(decision).toMatchObject({ applied: false, send: [], runLocal: true, orderStatus: null });
    expect(decision.saga).toEqual({ ...saga, deadlineAt: at(2_000) });
    // Even long past the step timeout: a compensation is never given up.
    expect(decide(saga, input.deadline, clockAt(TIMEOUT_MS * 100))).toMatchObject({
      runLocal: true,
      saga: { status: 'COMPENSATING', currentStep: C.RefundPayment },
    });
  });

  it('a release without an answer is sent again with a fresh deadline (no event)', () => {
    const saga = states.releasingAfterDecline();
    const decision = decide(saga, input.deadline, clockAt(TIMEOUT_MS));
    expect(decision).toMatchObject({ applied: false, send: [C.ReleaseInventory], runLocal: false, orderStatus: null });
    expect(decision.saga).toEqual({ ...saga, deadlineAt: at(2 * TIMEOUT_MS) });
  });
});

describe('the order saga state machine: deadlines that do not apply', () => {
  it('a deadline not yet passed changes nothing (the saga moved since the sweeper listed it)', () => {
    for (const name of ['reserving', 'paying', 'confirming', 'refundingAfterCancel', 'releasingAfterDecline'] as const) {
      const saga = states[name]();
      expectIgnored(saga, decide(saga, input.deadline, clockAt(saga.deadlineAt!.getTime() - at(0).getTime() - 1)));
    }
  });

  it('a saga without a deadline (ended) is left alone', () => {
    for (const name of ['completed', 'failed', 'cancelled'] as const) {
      const saga = states[name]();
      expect(saga.deadlineAt).toBeNull();
      expectIgnored(saga, decide(saga, input.deadline, clockAt(TIMEOUT_MS)));
    }
  });

  it('an ended saga still carrying a deadline loses it, nothing else', () => {
    const saga = { ...states.cancelled(), deadlineAt: at(0) };
    expect(decide(saga, input.deadline, clockAt(1))).toEqual({
      saga: { ...saga, deadlineAt: null },
      orderStatus: null,
      send: [],
      applied: false,
      runLocal: false,
    });
  });

  it('a saga on a step the definition does not know is left alone', () => {
    const saga = { ...states.reserving(), currentStep: 'retired_step' };
    expectIgnored(saga, decide(saga, input.deadline, clockAt(TIMEOUT_MS)));
    const compensating = { ...states.releasingAfterDecline(), currentStep: 'retired_compensation' };
    expectIgnored(compensating, decide(compensating, input.deadline, clockAt(TIMEOUT_MS)));
  });
});
