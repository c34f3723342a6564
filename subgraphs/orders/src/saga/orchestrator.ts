/**
 * The order saga's orchestrator: applies the state machine's decisions (saga-machine.ts) to the
 * locked saga row and its order, inside the transaction that moves the saga, which also writes
 * the commands and the order's events to the outbox. Functions answer whether a local action is
 * now due (the caller runs it after the commit, see usecases/run-saga-local-steps.ts); an input
 * that no longer matches the saga (a late reply, a duplicate) changes nothing.
 */
import type { OrderStatus } from '@app/events';
import type { Saga } from '../entities/index.js';
import { compensationNamed, stepNamed } from './order-saga.js';
import { publishTransition } from './publish-transition.js';
import {
  isCompensating as compensating,
  decide,
  dueLocalAction,
  type SagaClock,
  type SagaInput,
  type SagaSnapshot,
} from './saga-machine.js';
import type { TerminalState } from './saga-names.js';
import type { StepContext } from './saga-step.js';

export interface TransitionResult {
  /** The saga changed (events were written). */
  applied: boolean;
  /** A local action (payment, refund) is due: run it after the commit. */
  runLocal: boolean;
}

const STALE: TransitionResult = { applied: false, runLocal: false };

/** A saga makes at most a few local actions in a row (payment, then confirmation; a refund when a later step fails at once). */
export const MAX_LOCAL_ACTIONS_IN_A_ROW = 10;

export const isCompensating = (ctx: Pick<StepContext, 'saga'>) => compensating(ctx.saga);

const snapshotOf = (saga: Saga): SagaSnapshot => ({
  state: saga.state,
  status: saga.status,
  currentStep: saga.currentStep ?? null,
  completedSteps: saga.completedSteps,
  pendingCompensations: saga.pendingCompensations,
  failureReason: saga.failureReason ?? null,
  terminalState: saga.terminalState ?? null,
  stepStartedAt: saga.stepStartedAt,
  deadlineAt: saga.deadlineAt ?? null,
  completedAt: saga.completedAt ?? null,
});

const clockOf = (ctx: StepContext): SagaClock => ({
  now: ctx.now,
  stepTimeoutSeconds: ctx.deps.config.SAGA_STEP_TIMEOUT,
  sweepIntervalSeconds: ctx.deps.config.SAGA_SWEEP_INTERVAL,
});

const remoteActionNamed = (name: string) => {
  const action = stepNamed(name) ?? compensationNamed(name);
  if (action?.kind !== 'remote') throw new Error(`saga action ${name} is not a remote action`);
  return action;
};

/**
 * Moves the locked saga by one input: its next fields, the order's status, the commands the
 * decision sends (after the fields are set: a command carries the saga's reason), then the
 * order's events when it was a transition.
 */
export function advanceSaga(ctx: StepContext, input: SagaInput): TransitionResult {
  const decision = decide(snapshotOf(ctx.saga), input, clockOf(ctx));
  Object.assign(ctx.saga, decision.saga);
  if (decision.orderStatus) ctx.order.status = decision.orderStatus satisfies OrderStatus;
  for (const name of decision.send) remoteActionNamed(name).send(ctx);
  if (decision.applied) publishTransition(ctx);
  return { applied: decision.applied, runLocal: decision.runLocal };
}

/** A new saga (its row just created by createOrder): the first step starts. */
export const startSaga = (ctx: StepContext) => advanceSaga(ctx, { type: 'start' });

/** Undoes the saga (cancelOrder): see saga-machine.ts `compensate`. */
export const startCompensation = (ctx: StepContext, reason: string, terminal: TerminalState, includeCurrent: boolean) =>
  advanceSaga(ctx, { type: 'compensate', reason, terminal, includeCurrent });

/** Runs the due local action (payment or refund) with the saga locked, and applies its outcome. */
export async function runLocalAction(ctx: StepContext): Promise<TransitionResult> {
  const due = dueLocalAction(snapshotOf(ctx.saga));
  if (!due) return STALE;
  if (due.phase === 'step') {
    const step = stepNamed(due.name);
    if (step?.kind !== 'local') return STALE;
    const outcome = await step.run(ctx);
    return advanceSaga(
      ctx,
      outcome.ok ? { type: 'step_succeeded', step: step.name } : { type: 'step_failed', step: step.name, reason: outcome.reason },
    );
  }
  const action = compensationNamed(due.name);
  if (action?.kind !== 'local') return STALE;
  const outcome = await action.run(ctx);
  if (!outcome.ok) throw new Error(`compensation ${action.name} failed: ${outcome.reason}`);
  return advanceSaga(ctx, { type: 'compensation_done', compensation: action.name });
}
