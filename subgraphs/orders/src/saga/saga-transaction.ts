import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrdersDeps } from '../deps.js';
import { repositories } from '../repositories/index.js';
import { runLocalAction, type TransitionResult } from './orchestrator.js';
import type { StepContext } from './saga-step.js';

export interface SagaTransactionOptions {
  /** Skip (answer null) when another transaction holds the saga (the sweeper). */
  skipLocked?: boolean;
  /** Runs first in the same transaction; false skips the transition (the inbox saw the message). */
  before?: (tx: EntityManager) => Promise<boolean>;
}

/**
 * Runs `fn` on the locked saga in one transaction (state, commands and events commit together),
 * then nudges the outbox relay and starts any local action that became due (in the background:
 * LocalStepRunner). Null: no such saga, or skipped.
 */
export async function inSagaTransaction<T extends TransitionResult>(
  deps: OrdersDeps,
  where: { id: string } | { order: string },
  fn: (ctx: StepContext) => T | Promise<T>,
  options: SagaTransactionOptions = {},
): Promise<T | null> {
  const result = await deps.em.fork().transactional(async (tx) => {
    if (options.before && !(await options.before(tx))) return null;
    const locked = await repositories(tx).sagas.lock(where, { skipLocked: options.skipLocked });
    if (!locked) return null;
    const out = await fn({ tx, deps, ...locked, now: new Date() });
    return { out, sagaId: locked.saga.id };
  });
  if (!result) return null;
  deps.nudgeOutbox();
  // In the background: a slow payment provider must not hold up the caller (a consumer's next messages).
  if (result.out.runLocal) deps.runLocalSteps(result.sagaId);
  return result.out;
}

/**
 * Runs the saga's due local actions (payment, refund), one transaction each, with the saga row
 * locked so no other runner (another replica, the sweeper) does the same at once. A provider
 * error is logged and left to the sweeper, which retries at the action's deadline.
 */
export async function runSagaLocalSteps(deps: OrdersDeps, sagaId: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    let result: TransitionResult | null;
    try {
      result = await deps.em.fork().transactional(async (tx) => {
        const locked = await repositories(tx).sagas.lock({ id: sagaId });
        if (!locked) return null;
        return runLocalAction({ tx, deps, ...locked, now: new Date() });
      });
    } catch (err) {
      deps.logger.warn({ err, sagaId }, 'saga local step failed; the sweeper will retry it');
      return;
    }
    if (!result) return;
    if (result.applied) deps.nudgeOutbox();
    if (!result.runLocal) return;
  }
}
