import type { OrdersDeps } from '../deps.js';
import { Saga } from '../entities/index.js';
import { InboxRepository, SagaRepository } from '../repositories/index.js';
import { advanceSaga } from '../saga/orchestrator.js';
import { ORDER_SAGA_STEPS } from '../saga/order-saga.js';
import { SagaStatusName } from '../saga/saga-names.js';
import { inSagaTransaction } from '../saga/saga-transaction.js';

const BATCH = 50;
/** Inbox ids are kept as long as the stream keeps messages (a redelivery can be no older). */
const INBOX_RETENTION_MS = 7 * 24 * 60 * 60_000;

/**
 * One sweep: every saga past its deadline, each in its own transaction with its row taken
 * `FOR UPDATE SKIP LOCKED` (a saga another replica or a handler holds is left to it): a waiting
 * step times out and compensates, a local action that did not finish runs again, a remote
 * compensation is sent again. Run at start (resuming what a stopped process left) and then every
 * SAGA_SWEEP_INTERVAL. Answers how many sagas it looked at.
 */
export async function sweepSagas(deps: OrdersDeps): Promise<number> {
  const ids = await new SagaRepository(deps.em.fork()).dueIds(new Date(), BATCH);
  for (const id of ids) {
    try {
      // The saga may have moved since dueIds read it: the machine ignores a deadline not yet passed.
      await inSagaTransaction(deps, { id }, (ctx) => advanceSaga(ctx, { type: 'deadline' }), { skipLocked: true });
    } catch (err) {
      deps.logger.error({ err, sagaId: id }, 'saga sweep failed for one saga');
    }
  }
  return ids.length;
}

/**
 * At start, before the first sweep: the time no orders process was running does not count against
 * a waiting forward step. A remote step whose deadline passed meanwhile gets a fresh step timeout
 * (its reply may be waiting in the stream, and the consumers deliver it within moments: timing the
 * step out first would cancel an order the catalog had answered in time), and a local step (the
 * payment) is retried from now instead of being timed out without another try. Compensations are
 * not concerned (they are re-sent or retried anyway). Answers how many sagas it touched.
 */
export async function resumeAfterStart(deps: OrdersDeps): Promise<number> {
  const now = new Date();
  const em = deps.em.fork();
  const due = { status: { $in: [SagaStatusName.Started, SagaStatusName.Running] }, deadlineAt: { $lte: now } };
  const names = (kind: 'remote' | 'local') => ORDER_SAGA_STEPS.filter((s) => s.kind === kind).map((s) => s.name);
  const remote = await em.nativeUpdate(
    Saga,
    { ...due, currentStep: { $in: names('remote') } },
    { deadlineAt: new Date(now.getTime() + deps.config.SAGA_STEP_TIMEOUT * 1000) },
  );
  const local = await em.nativeUpdate(Saga, { ...due, currentStep: { $in: names('local') } }, { stepStartedAt: now });
  return remote + local;
}

/**
 * Housekeeping: forgets inbox ids older than the stream's retention. (Old sent outbox rows are
 * the relay's to delete: it keeps them a day, see OutboxRelay.)
 */
export async function purgeInbox(deps: OrdersDeps): Promise<number> {
  return new InboxRepository(deps.em.fork()).purgeOlderThan(new Date(Date.now() - INBOX_RETENTION_MS));
}
