import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrdersDeps } from '../deps.js';
import { repositories } from '../repositories/index.js';
import type { TransitionResult } from './orchestrator.js';
import type { StepContext } from './saga-step.js';

export interface SagaTransactionOptions {
  /** Skip (answer null) when another transaction holds the saga (the sweeper). */
  skipLocked?: boolean;
  /** Runs first in the same transaction; false skips the transition (the inbox saw the message). */
  before?: (tx: EntityManager) => Promise<boolean>;
}

/**
 * Runs `fn` on the locked saga in one transaction (state, commands and events commit together),
 * then hands the commit's follow-ups to the service: the outbox relay publishes now, and a local
 * action that became due is queued (`deps.runLocalSteps`: the local-step runner runs it in the
 * background through the run-saga-local-steps use case, which never comes back here). Null: no
 * such saga, or skipped.
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
