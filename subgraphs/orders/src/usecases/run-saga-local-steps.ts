import type { OrdersDeps } from '../deps.js';
import { MAX_LOCAL_ACTIONS_IN_A_ROW, runLocalAction, type TransitionResult } from '../saga/orchestrator.js';
import { onLockedSaga } from '../saga/saga-transaction.js';

/**
 * Runs the saga's due local actions (payment, refund), one transaction each, with the saga row
 * locked so no other runner (another replica, the sweeper) does the same at once. A provider
 * error is logged and left to the sweeper, which retries at the action's deadline. Called by the
 * local-step runner (handlers/local-step-runner.ts) only: it queues nothing itself, so it cannot
 * start itself again.
 */
export async function runSagaLocalSteps(deps: OrdersDeps, sagaId: string): Promise<void> {
  for (let i = 0; i < MAX_LOCAL_ACTIONS_IN_A_ROW; i++) {
    let result: TransitionResult | null;
    try {
      result = await deps.em.fork().transactional((tx) => onLockedSaga(tx, deps, { id: sagaId }, runLocalAction));
    } catch (err) {
      deps.logger.warn({ err, sagaId }, 'saga local step failed; the sweeper will retry it');
      return;
    }
    if (!result) return;
    if (result.applied) deps.nudgeOutbox();
    if (!result.runLocal) return;
  }
}
