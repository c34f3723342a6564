/**
 * The order saga's orchestrator: every transition of a saga, applied to the locked saga row (and
 * its order) inside one transaction, which also writes the next command and the order's events to
 * the outbox. Functions answer whether a local action is now due (the caller runs it after the
 * commit, see run-saga-local-steps.ts); a message that no longer matches the saga (a late reply, a
 * duplicate) changes nothing.
 */
import type { OrderStatus } from '../entities/index.js';
import { ORDER_SAGA_STEPS, compensationNamed, stepNamed } from './order-saga.js';
import { SagaStateName, SagaStatusName, type TerminalState } from './saga-names.js';
import type { SagaAction, StepContext } from './saga-step.js';
import { publishTransition } from './publish-transition.js';

export interface TransitionResult {
  /** The saga changed (events were written). */
  applied: boolean;
  /** A local action (payment, refund) is due: run it after the commit. */
  runLocal: boolean;
}

const STALE: TransitionResult = { applied: false, runLocal: false };

export const isForward = (ctx: Pick<StepContext, 'saga'>) => ctx.saga.status === SagaStatusName.Started || ctx.saga.status === SagaStatusName.Running;
export const isCompensating = (ctx: Pick<StepContext, 'saga'>) => ctx.saga.status === SagaStatusName.Compensating;
export const hasEnded = (ctx: Pick<StepContext, 'saga'>) => ctx.saga.deadlineAt == null && !isForward(ctx) && !isCompensating(ctx);

/** How long a remote action may wait for its reply. */
const stepTimeoutMs = (ctx: StepContext) => ctx.deps.config.SAGA_STEP_TIMEOUT * 1000;
/** When the sweeper retries a local action that did not finish (a crash, a provider error). */
const localRetryMs = (ctx: StepContext) => Math.min(stepTimeoutMs(ctx), Math.max(ctx.deps.config.SAGA_SWEEP_INTERVAL * 1000, 1000));

/** Starts an action: a remote one sends its command now; a local one is due (runLocal). */
function begin(ctx: StepContext, action: SagaAction): boolean {
  const { saga, now } = ctx;
  saga.currentStep = action.name;
  saga.stepStartedAt = now;
  if (action.kind === 'remote') {
    saga.deadlineAt = new Date(now.getTime() + stepTimeoutMs(ctx));
    action.send(ctx);
    return false;
  }
  saga.deadlineAt = new Date(now.getTime() + localRetryMs(ctx));
  return true;
}

function enterStep(ctx: StepContext, index: number): boolean {
  const step = ORDER_SAGA_STEPS[index];
  ctx.saga.state = step.state;
  ctx.saga.status = index === 0 ? SagaStatusName.Started : SagaStatusName.Running;
  return begin(ctx, step);
}

/** A new saga (its row just created by createOrder): the first step starts. */
export function startSaga(ctx: StepContext): TransitionResult {
  ctx.saga.completedSteps = [];
  ctx.saga.pendingCompensations = [];
  const runLocal = enterStep(ctx, 0);
  publishTransition(ctx);
  return { applied: true, runLocal };
}

/** The current forward step succeeded: the next one starts, or the order is CONFIRMED. */
export function completeStep(ctx: StepContext, stepName: string): TransitionResult {
  const { saga, order, now } = ctx;
  if (!isForward(ctx) || saga.currentStep !== stepName) return STALE;
  saga.completedSteps = [...saga.completedSteps, stepName];
  const index = ORDER_SAGA_STEPS.findIndex((s) => s.name === stepName);
  let runLocal = false;
  if (index === ORDER_SAGA_STEPS.length - 1) {
    saga.state = SagaStateName.Completed;
    saga.status = SagaStatusName.Completed;
    saga.currentStep = null;
    saga.deadlineAt = null;
    saga.completedAt = now;
    order.status = 'CONFIRMED' satisfies OrderStatus;
  } else {
    runLocal = enterStep(ctx, index + 1);
  }
  publishTransition(ctx);
  return { applied: true, runLocal };
}

/** The current forward step failed (the participant did nothing): compensate what was done before it. */
export function failStep(ctx: StepContext, stepName: string, reason: string): TransitionResult {
  if (!isForward(ctx) || ctx.saga.currentStep !== stepName) return STALE;
  return startCompensation(ctx, reason, SagaStateName.Failed, false);
}

/** The current forward step did not answer in time: compensate it too (its command may still land). */
export function timeOutStep(ctx: StepContext): TransitionResult {
  if (!isForward(ctx)) return STALE;
  const reason = `Step ${ctx.saga.currentStep} timed out after ${ctx.deps.config.SAGA_STEP_TIMEOUT} s`;
  return startCompensation(ctx, reason, SagaStateName.Failed, true);
}

/**
 * Undoes the saga in reverse: the compensations of the completed steps (and of the current one
 * when `includeCurrent`: its command was sent and may have taken effect), latest first. Also used
 * by cancelOrder on a running or completed saga. Ends CANCELLED once every compensation is done.
 */
export function startCompensation(ctx: StepContext, reason: string, terminal: TerminalState, includeCurrent: boolean): TransitionResult {
  const { saga } = ctx;
  if (isCompensating(ctx) || (saga.status === SagaStatusName.Failed)) return STALE;
  const done = [...saga.completedSteps, ...(includeCurrent && isForward(ctx) && saga.currentStep ? [saga.currentStep] : [])];
  saga.pendingCompensations = done
    .reverse()
    .map((name) => stepNamed(name)?.compensation?.name)
    .filter((name): name is string => !!name);
  saga.status = SagaStatusName.Compensating;
  saga.state = SagaStateName.Compensating;
  saga.failureReason = reason.slice(0, 1000);
  saga.terminalState = terminal;
  saga.completedAt = null;
  const runLocal = nextCompensation(ctx);
  publishTransition(ctx);
  return { applied: true, runLocal };
}

function nextCompensation(ctx: StepContext): boolean {
  const { saga, order, now } = ctx;
  const [next] = saga.pendingCompensations;
  if (next === undefined) {
    saga.status = SagaStatusName.Failed;
    saga.state = saga.terminalState ?? SagaStateName.Failed;
    saga.currentStep = null;
    saga.deadlineAt = null;
    saga.completedAt = now;
    order.status = 'CANCELLED' satisfies OrderStatus;
    return false;
  }
  return begin(ctx, compensationNamed(next)!);
}

/** The current compensation is done: the next one starts, or the order is CANCELLED. */
export function completeCompensation(ctx: StepContext, name: string): TransitionResult {
  const { saga } = ctx;
  if (!isCompensating(ctx) || saga.currentStep !== name) return STALE;
  saga.pendingCompensations = saga.pendingCompensations.slice(1);
  const runLocal = nextCompensation(ctx);
  publishTransition(ctx);
  return { applied: true, runLocal };
}

/**
 * The sweeper found the saga past its deadline. A waiting forward step times out (compensation);
 * a local action that did not finish is retried (or, forward and past the step timeout, times out);
 * a remote compensation is sent again (compensations must finish: they are retried until answered).
 */
export function onDeadline(ctx: StepContext): TransitionResult {
  const { saga, now } = ctx;
  if (isForward(ctx)) {
    const step = stepNamed(saga.currentStep);
    if (!step) return STALE;
    if (step.kind === 'local' && now.getTime() - saga.stepStartedAt.getTime() < stepTimeoutMs(ctx)) {
      saga.deadlineAt = new Date(now.getTime() + localRetryMs(ctx));
      return { applied: false, runLocal: true };
    }
    return timeOutStep(ctx);
  }
  if (isCompensating(ctx)) {
    const action = compensationNamed(saga.currentStep);
    if (!action) return STALE;
    if (action.kind === 'local') {
      saga.deadlineAt = new Date(now.getTime() + localRetryMs(ctx));
      return { applied: false, runLocal: true };
    }
    // Send again (a new message id; the participant's compensation is idempotent by order).
    saga.deadlineAt = new Date(now.getTime() + stepTimeoutMs(ctx));
    action.send(ctx);
    return { applied: false, runLocal: false };
  }
  saga.deadlineAt = null;
  return STALE;
}

/** Runs the due local action (payment or refund) with the saga locked, and applies its outcome. */
export async function runLocalAction(ctx: StepContext): Promise<TransitionResult> {
  const { saga } = ctx;
  if (isForward(ctx)) {
    const step = stepNamed(saga.currentStep);
    if (!step || step.kind !== 'local') return STALE;
    const outcome = await step.run(ctx);
    return outcome.ok ? completeStep(ctx, step.name) : failStep(ctx, step.name, outcome.reason);
  }
  if (isCompensating(ctx)) {
    const action = compensationNamed(saga.currentStep);
    if (!action || action.kind !== 'local') return STALE;
    const outcome = await action.run(ctx);
    if (!outcome.ok) throw new Error(`compensation ${action.name} failed: ${outcome.reason}`);
    return completeCompensation(ctx, action.name);
  }
  return STALE;
}
