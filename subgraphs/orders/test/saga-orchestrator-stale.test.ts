/**
 * The order saga's state machine (saga-machine.ts, plain values) against inputs that no longer
 * match it: stale replies (for a step already passed, not yet reached, or from an earlier attempt
 * of an action), duplicates (the second copy changes nothing and sends nothing), and terminal
 * states, which ignore every further input (a COMPLETED saga can still be cancelled: an order
 * is cancellable until it ships).
 */
import { Subjects } from '@app/events';
import { describe, expect, it } from 'vitest';
import { inventoryReplyInput } from '../src/saga/inventory-reply-input.js';
import { decide, type SagaInput } from '../src/saga/saga-machine.js';
import { SagaCompensation as C, SagaStep as S } from '../src/saga/saga-names.js';
import { clockAt, expectIgnored, type InputName, input, STEP_TIMEOUT_S, sagaAfter, states } from './support/saga-fixtures.js';

const ALL_INPUTS = Object.keys(input) as InputName[];

describe('the order saga state machine: stale replies', () => {
  it.each([
    ['reserved, reserve_inventory already passed (paying)', 'paying', 'reserved'],
    ['reserved, reserve_inventory already passed (confirming)', 'confirming', 'reserved'],
    ['reservation_failed after the reservation succeeded', 'paying', 'reservationFailed'],
    ['confirmed before confirm_order began', 'reserving', 'confirmed'],
    ['confirmed while paying', 'paying', 'confirmed'],
    ['payment outcome once the payment step has passed', 'confirming', 'paid'],
    ['released while going forward (nothing was being released)', 'confirming', 'released'],
    ['released while the refund is still running (the release has not been sent)', 'refundingAfterCancel', 'released'],
    ['refunded while waiting for the release', 'releasingAfterDecline', 'refunded'],
    ['a forward outcome while compensating', 'releasingAfterDecline', 'confirmed'],
  ] as const)('%s: ignored', (_title, from, on) => {
    const saga = states[from]();
    expectIgnored(saga, decide(saga, input[on], clockAt(5)));
  });

  it('reserved from the attempt that timed out (the release is already out): ignored, and the release still ends the saga', () => {
    const timedOut = decide(states.reserving(), input.deadline, clockAt(STEP_TIMEOUT_S * 1000)).saga;
    expect(timedOut.currentStep).toBe(C.ReleaseInventory);
    expectIgnored(timedOut, decide(timedOut, input.reserved, clockAt(STEP_TIMEOUT_S * 1000 + 1)));
    expectIgnored(timedOut, decide(timedOut, input.reservationFailed, clockAt(STEP_TIMEOUT_S * 1000 + 1)));
    expect(decide(timedOut, input.released, clockAt(STEP_TIMEOUT_S * 1000 + 2))).toMatchObject({ applied: true, orderStatus: 'CANCELLED' });
  });

  it('released answering an earlier send of a re-sent release: the first ends the saga, the next ones change nothing', () => {
    const releasing = states.releasingAfterDecline();
    const resent = decide(releasing, input.deadline, clockAt(STEP_TIMEOUT_S * 1000)).saga;
    const ended = decide(resent, input.released, clockAt(STEP_TIMEOUT_S * 1000 + 1));
    expect(ended.applied).toBe(true);
    expectIgnored(ended.saga, decide(ended.saga, input.released, clockAt(STEP_TIMEOUT_S * 1000 + 2)));
  });
});

describe('the order saga state machine: duplicate inputs', () => {
  const chains: [string, SagaInput[]][] = [
    ['start', [input.start]],
    ['reserved', [input.start, input.reserved]],
    ['reservation_failed', [input.start, input.reservationFailed]],
    ['payment succeeded', [input.start, input.reserved, input.paid]],
    ['payment declined', [input.start, input.reserved, input.declined]],
    ['confirmed', [input.start, input.reserved, input.paid, input.confirmed]],
    ['cancel', [input.start, input.reserved, input.cancel]],
    ['refunded', [input.start, input.reserved, input.cancel, input.refunded]],
    ['released', [input.start, input.reserved, input.declined, input.released]],
    ['timeout', [input.start, input.timeOut]],
  ];

  it.each(chains)('%s twice: one transition, one set of commands', (_name, chain) => {
    const last = chain[chain.length - 1];
    const first = decide(sagaAfter(...chain.slice(0, -1)), last, clockAt(10));
    expect(first.applied).toBe(true);
    expectIgnored(first.saga, decide(first.saga, last, clockAt(20)));
  });
});

describe('the order saga state machine: terminal states', () => {
  it.each(['failed', 'failedAfterCompensation', 'cancelled'] as const)('%s (FAILED) ignores every input', (name) => {
    const saga = states[name]();
    expect(saga.status).toBe('FAILED');
    for (const on of ALL_INPUTS) expectIgnored(saga, decide(saga, input[on], clockAt(STEP_TIMEOUT_S * 1000 * 10)));
  });

  it('COMPLETED ignores every input but a cancellation', () => {
    const saga = states.completed();
    for (const on of ALL_INPUTS.filter((n) => n !== 'cancel'))
      expectIgnored(saga, decide(saga, input[on], clockAt(STEP_TIMEOUT_S * 1000 * 10)));
    expect(decide(saga, input.cancel, clockAt()).applied).toBe(true);
  });

  it('a compensating saga cannot be cancelled or failed again (the compensation already under way finishes)', () => {
    for (const name of ['releasingAfterDecline', 'refundingAfterCancel', 'releasingAfterCancel'] as const) {
      const saga = states[name]();
      for (const on of ['cancel', 'timeOut', 'reservationFailed', 'declined', 'start'] as const)
        expectIgnored(saga, decide(saga, input[on], clockAt()));
    }
  });
});

describe('catalog replies as saga inputs', () => {
  it('maps each reply subject to the step or compensation it answers', () => {
    expect(inventoryReplyInput(Subjects.CatalogInventoryReserved, {})).toEqual({ type: 'step_succeeded', step: S.ReserveInventory });
    expect(inventoryReplyInput(Subjects.CatalogInventoryReservationFailed, { reason: 'Insufficient stock' })).toEqual({
      type: 'step_failed',
      step: S.ReserveInventory,
      reason: 'Insufficient stock',
    });
    expect(inventoryReplyInput(Subjects.CatalogInventoryReservationFailed, {})).toMatchObject({ reason: 'The reservation failed' });
    expect(inventoryReplyInput(Subjects.CatalogInventoryCommitted, {})).toEqual({ type: 'step_succeeded', step: S.ConfirmOrder });
    expect(inventoryReplyInput(Subjects.CatalogInventoryReleased, {})).toEqual({
      type: 'compensation_done',
      compensation: C.ReleaseInventory,
    });
  });
});
