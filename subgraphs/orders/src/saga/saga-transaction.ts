import { groupOutboxRecords } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrdersDeps } from '../deps.js';
import { repositories } from '../repositories/index.js';
import { runLocalInline } from './inline-local-action.js';
import { MAX_LOCAL_ACTIONS_IN_A_ROW, type TransitionResult } from './orchestrator.js';
import type { StepContext } from './saga-step.js';

export interface SagaTransactionOptions {
  /** Skip (answer null) when another transaction holds the saga (the sweeper). */
  skipLocked?: boolean;
  /**
   * The id of the message this transition handles, recorded in the inbox with the lock (one
   * statement); a message recorded before skips the transition (a redelivery changes nothing).
   */
  claim?: string;
  /** Load the order's items too (`ctx.items`; null otherwise). */
  withItems?: boolean;
  /**
   * Local actions this transition makes due may run in this transaction (`deps.inlineLocal`):
   * a reply's handler, so the payment and the confirmation commit with the reply that made them
   * due (one transaction per order for both). A provider slower than the budget goes to the runner.
   */
  inlineLocal?: boolean;
}

/**
 * Inside the caller's transaction: locks the saga (and its order), runs `fn` on them, then writes
 * them back with the messages `fn` wrote to `ctx.outbox` (as one outbox row: `groupOutboxRecords`),
 * in one statement (nothing when `fn` changed nothing);
 * `endsTransaction`: the caller runs nothing after it, so that statement goes with the COMMIT.
 * Null: no such saga, or skipped (`skipLocked`). The caller commits, then publishes `ctx.outbox`.
 */
export async function onLockedSaga<T>(
  tx: EntityManager,
  deps: OrdersDeps,
  where: { id: string } | { order: string },
  fn: (ctx: StepContext) => T | Promise<T>,
  options: Pick<SagaTransactionOptions, 'skipLocked' | 'withItems' | 'claim'> & { endsTransaction?: boolean } = {},
): Promise<T | null> {
  const { sagas } = repositories(tx);
  const locked = await sagas.lock(where, options);
  if (!locked) return null;
  const loaded = JSON.stringify([locked.saga, locked.order]);
  const ctx: StepContext = { tx, deps, ...locked, now: new Date(), outbox: [] };
  const out = await fn(ctx);
  // The transition's commands and events as one row, in place: whoever holds ctx.outbox publishes that row.
  ctx.outbox.splice(0, ctx.outbox.length, ...groupOutboxRecords(ctx.outbox));
  if (ctx.outbox.length || JSON.stringify([ctx.saga, ctx.order]) !== loaded)
    await sagas.save(ctx, ctx.outbox, { last: options.endsTransaction });
  return out;
}

/**
 * Runs `fn` on the locked saga in one transaction (state, commands and events commit together),
 * then hands the commit's follow-ups to the service: its outbox rows are published now
 * (`deps.publishCommitted`), and a local
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
  const result = await deps.em.fork().transactional((tx) =>
    onLockedSaga(
      tx,
      deps,
      where,
      async (ctx) => {
        // ctx.outbox: the array onLockedSaga writes with the saga, complete once this returns.
        const done = { sagaId: ctx.saga.id, outbox: ctx.outbox };
        let out = await fn(ctx);
        // Local actions in a row (the payment, then confirm_order) commit with the reply that made them due.
        for (let i = 0; out.runLocal && options.inlineLocal && deps.inlineLocal && i < MAX_LOCAL_ACTIONS_IN_A_ROW; i++) {
          const local = await runLocalInline(ctx, deps.inlineLocal);
          if (!local) break;
          out = { ...out, applied: out.applied || local.applied, runLocal: local.runLocal };
        }
        return { out, ...done };
      },
      // The write-back is the transaction's last statement: it goes out with the COMMIT.
      { ...options, endsTransaction: true },
    ),
  );
  if (!result) return null;
  // Committed: the commands and events go out now, by this process (the relay is the fallback).
  deps.publishCommitted(result.outbox);
  // In the background: a slow payment provider must not hold up the caller (a consumer's next messages).
  if (result.out.runLocal) deps.runLocalSteps(result.sagaId);
  return result.out;
}
