/**
 * The order saga's state machine, as a pure function: a saga's fields and an input in, the saga's
 * next fields and what must happen out (commands to send, the order's new status, whether the
 * order's events are published, whether a local action is now due). No database, no clock, no
 * payment provider: the orchestrator (orchestrator.ts) applies a decision to the locked rows.
 *
 * A saga goes forward through ORDER_SAGA_STEPS (status STARTED on the first step, RUNNING after),
 * ends COMPLETED (order CONFIRMED), or compensates the steps it did in reverse (COMPENSATING) and
 * ends FAILED with state `failed` or `cancelled` (order CANCELLED). An input that no longer matches
 * the saga (a late or duplicated reply, a deadline already moved) changes nothing.
 */
import { compensationNamed, ORDER_SAGA_STEPS, stepNamed } from './order-saga.js';
import { SagaStateName, SagaStatusName, type TerminalState } from './saga-names.js';
import type { SagaAction } from './saga-step.js';

/** The saga row's fields the state machine reads and writes. */
export interface SagaSnapshot {
  state: string;
  status: string;
  currentStep: string | null;
  completedSteps: string[];
  pendingCompensations: string[];
  failureReason: string | null;
  terminalState: string | null;
  stepStartedAt: Date;
  deadlineAt: Date | null;
  completedAt: Date | null;
}

export type SagaInput =
  /** The saga row was just created (createOrder): the first step starts. */
  | { type: 'start' }
  /** The forward step `step` succeeded (a participant's reply, or a local step's outcome). */
  | { type: 'step_succeeded'; step: string }
  /** The forward step `step` failed and did nothing: compensate the steps before it. */
  | { type: 'step_failed'; step: string; reason: string }
  /** The compensation `compensation` is done. */
  | { type: 'compensation_done'; compensation: string }
  /** Undo the saga (cancelOrder: terminal `cancelled`, includeCurrent). */
  | { type: 'compensate'; reason: string; terminal: TerminalState; includeCurrent: boolean }
  /** The current forward step gave up waiting: compensate it too (its command may still land). */
  | { type: 'time_out' }
  /** The sweeper's look at a saga whose deadline may have passed. */
  | { type: 'deadline' };

/** The clock and the settings the machine needs (SAGA_STEP_TIMEOUT, SAGA_SWEEP_INTERVAL, seconds). */
export interface SagaClock {
  now: Date;
  stepTimeoutSeconds: number;
  sweepIntervalSeconds: number;
}

export interface SagaDecision {
  /** The saga's next fields (the same object when nothing changed). */
  saga: SagaSnapshot;
  /** The order's new status when the saga ended; null: unchanged. */
  orderStatus: 'CONFIRMED' | 'CANCELLED' | null;
  /** Remote actions (by name) whose command goes to the outbox now, in this order. */
  send: string[];
  /** A transition happened: the order's events are published (its version goes up). */
  applied: boolean;
  /** A local action (payment, refund) is due: run it after the commit. */
  runLocal: boolean;
}

const isForward = (saga: Pick<SagaSnapshot, 'status'>) => saga.status === SagaStatusName.Started || saga.status === SagaStatusName.Running;
export const isCompensating = (saga: Pick<SagaSnapshot, 'status'>) => saga.status === SagaStatusName.Compensating;

/** How long a remote action may wait for its reply. */
const stepTimeoutMs = (clock: SagaClock) => clock.stepTimeoutSeconds * 1000;
/** When the sweeper retries a local action that did not finish (a crash, a provider error). */
const localRetryMs = (clock: SagaClock) => Math.min(stepTimeoutMs(clock), Math.max(clock.sweepIntervalSeconds * 1000, 1000));
const after = (clock: SagaClock, ms: number) => new Date(clock.now.getTime() + ms);

const unchanged = (saga: SagaSnapshot): SagaDecision => ({ saga, orderStatus: null, send: [], applied: false, runLocal: false });
/** A decision to build: the saga's next fields are written into its own copy of the saga. */
const draftOf = (saga: SagaSnapshot): SagaDecision => unchanged({ ...saga });

/** The due local action, if any: the current forward step or compensation when it runs in this process. */
export function dueLocalAction(saga: SagaSnapshot): { phase: 'step' | 'compensation'; name: string } | null {
  if (isForward(saga)) {
    const step = stepNamed(saga.currentStep);
    return step?.kind === 'local' ? { phase: 'step', name: step.name } : null;
  }
  if (isCompensating(saga)) {
    const action = compensationNamed(saga.currentStep);
    return action?.kind === 'local' ? { phase: 'compensation', name: action.name } : null;
  }
  return null;
}

export function decide(saga: SagaSnapshot, input: SagaInput, clock: SagaClock): SagaDecision {
  switch (input.type) {
    case 'start':
      return start(saga, clock);
    case 'step_succeeded':
      return succeed(saga, input.step, clock);
    case 'step_failed':
      if (!isForward(saga) || saga.currentStep !== input.step) return unchanged(saga);
      return compensate(saga, input.reason, SagaStateName.Failed, false, clock);
    case 'compensation_done':
      return compensationDone(saga, input.compensation, clock);
    case 'compensate':
      return compensate(saga, input.reason, input.terminal, input.includeCurrent, clock);
    case 'time_out':
      return timeOut(saga, clock);
    case 'deadline':
      return deadline(saga, clock);
  }
}

/** Starts an action: a remote one sends its command now; a local one becomes due (runLocal). */
function begin(d: SagaDecision, action: SagaAction, clock: SagaClock): void {
  d.saga.currentStep = action.name;
  d.saga.stepStartedAt = clock.now;
  if (action.kind === 'remote') {
    d.saga.deadlineAt = after(clock, stepTimeoutMs(clock));
    d.send.push(action.name);
  } else {
    d.saga.deadlineAt = after(clock, localRetryMs(clock));
    d.runLocal = true;
  }
}

function enterStep(d: SagaDecision, index: number, clock: SagaClock): void {
  const step = ORDER_SAGA_STEPS[index];
  d.saga.state = step.state;
  d.saga.status = index === 0 ? SagaStatusName.Started : SagaStatusName.Running;
  begin(d, step, clock);
}

/** Only a saga that has not begun (just created: STARTED, no deadline, nothing done) starts. */
function start(saga: SagaSnapshot, clock: SagaClock): SagaDecision {
  if (saga.status !== SagaStatusName.Started || saga.deadlineAt != null || saga.completedSteps.length) return unchanged(saga);
  const d = draftOf(saga);
  d.saga.completedSteps = [];
  d.saga.pendingCompensations = [];
  enterStep(d, 0, clock);
  d.applied = true;
  return d;
}

/** The current forward step succeeded: the next one starts, or the saga completes (order CONFIRMED). */
function succeed(saga: SagaSnapshot, stepName: string, clock: SagaClock): SagaDecision {
  if (!isForward(saga) || saga.currentStep !== stepName) return unchanged(saga);
  const d = draftOf(saga);
  d.saga.completedSteps = [...saga.completedSteps, stepName];
  const index = ORDER_SAGA_STEPS.findIndex((s) => s.name === stepName);
  if (index === ORDER_SAGA_STEPS.length - 1) {
    d.saga.state = SagaStateName.Completed;
    d.saga.status = SagaStatusName.Completed;
    d.saga.currentStep = null;
    d.saga.deadlineAt = null;
    d.saga.completedAt = clock.now;
    d.orderStatus = 'CONFIRMED';
  } else {
    enterStep(d, index + 1, clock);
  }
  d.applied = true;
  return d;
}

function timeOut(saga: SagaSnapshot, clock: SagaClock): SagaDecision {
  if (!isForward(saga)) return unchanged(saga);
  const reason = `Step ${saga.currentStep} timed out after ${clock.stepTimeoutSeconds} s`;
  return compensate(saga, reason, SagaStateName.Failed, true, clock);
}

/**
 * Undoes the saga in reverse: the compensations of the completed steps (and of the current one
 * when `includeCurrent`: its command was sent and may have taken effect), latest first. Refused
 * while compensating and once compensated; a COMPLETED saga may still be undone (cancelOrder
 * before shipping). Ends FAILED (state = `terminal`) once every compensation is done.
 */
function compensate(saga: SagaSnapshot, reason: string, terminal: TerminalState, includeCurrent: boolean, clock: SagaClock): SagaDecision {
  if (isCompensating(saga) || saga.status === SagaStatusName.Failed) return unchanged(saga);
  const done = [...saga.completedSteps, ...(includeCurrent && isForward(saga) && saga.currentStep ? [saga.currentStep] : [])];
  const d = draftOf(saga);
  d.saga.pendingCompensations = done
    .reverse()
    .map((name) => stepNamed(name)?.compensation?.name)
    .filter((name): name is string => !!name);
  d.saga.status = SagaStatusName.Compensating;
  d.saga.state = SagaStateName.Compensating;
  d.saga.failureReason = reason.slice(0, 1000);
  d.saga.terminalState = terminal;
  d.saga.completedAt = null;
  nextCompensation(d, clock);
  d.applied = true;
  return d;
}

/** The first pending compensation starts; none left: the saga ends (order CANCELLED). */
function nextCompensation(d: SagaDecision, clock: SagaClock): void {
  const [next] = d.saga.pendingCompensations;
  if (next === undefined) {
    d.saga.status = SagaStatusName.Failed;
    d.saga.state = d.saga.terminalState ?? SagaStateName.Failed;
    d.saga.currentStep = null;
    d.saga.deadlineAt = null;
    d.saga.completedAt = clock.now;
    d.orderStatus = 'CANCELLED';
    return;
  }
  begin(d, compensationNamed(next)!, clock);
}

function compensationDone(saga: SagaSnapshot, name: string, clock: SagaClock): SagaDecision {
  if (!isCompensating(saga) || saga.currentStep !== name) return unchanged(saga);
  const d = draftOf(saga);
  d.saga.pendingCompensations = saga.pendingCompensations.slice(1);
  nextCompensation(d, clock);
  d.applied = true;
  return d;
}

/**
 * Past the saga's deadline: a waiting forward step times out (compensation); a local action that
 * did not finish is retried (or, forward and past the step timeout, times out); a remote
 * compensation is sent again (compensations must finish: they are retried until answered). An
 * ended saga loses its deadline. Before the deadline (another transaction moved it): nothing.
 */
function deadline(saga: SagaSnapshot, clock: SagaClock): SagaDecision {
  if (!saga.deadlineAt || saga.deadlineAt > clock.now) return unchanged(saga);
  if (isForward(saga)) {
    const step = stepNamed(saga.currentStep);
    if (!step) return unchanged(saga);
    if (step.kind === 'local' && clock.now.getTime() - saga.stepStartedAt.getTime() < stepTimeoutMs(clock)) {
      return { ...unchanged({ ...saga, deadlineAt: after(clock, localRetryMs(clock)) }), runLocal: true };
    }
    return timeOut(saga, clock);
  }
  if (isCompensating(saga)) {
    const action = compensationNamed(saga.currentStep);
    if (!action) return unchanged(saga);
    if (action.kind === 'local') return { ...unchanged({ ...saga, deadlineAt: after(clock, localRetryMs(clock)) }), runLocal: true };
    // Sent again (a new message id; the participant's compensation is idempotent by order).
    return { ...unchanged({ ...saga, deadlineAt: after(clock, stepTimeoutMs(clock)) }), send: [action.name] };
  }
  return unchanged({ ...saga, deadlineAt: null });
}
