import type { EventEnvelope, InventoryCommand, InventoryCommandSubject } from '@app/events';
import { groupOutboxRecords, type OutboxRecord } from '@app/platform';
import { DeadlockException, LockWaitTimeoutException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CatalogDeps } from '../deps.js';
import type { InventoryOrderState, StockChange } from '../entities/index.js';
import { InboxRepository } from '../repositories/index.js';
import { invalidateStockChanges } from './announce.js';
import { announcements, type InventoryOutcome, type InventoryReply } from './inventory-outcome.js';

/** What inventory decided for an order so far, read with the claim and locked for the transaction. */
export interface InventoryDecision {
  state: InventoryOrderState;
  reason: string | null;
}

/** How one inventory command takes effect; `message`: the command's envelope id (its inbox row's) and subject. */
export interface InventoryStep<S extends InventoryCommandSubject> {
  /**
   * The usual case as ONE statement outside any transaction, the inbox claim included (no BEGIN
   * and COMMIT round trips on the saga's path): the outcome, its announcements already written
   * (`written`), or null when it wrote nothing (a redelivery, an unusual case): then
   * `inTransaction` runs. Absent: always `inTransaction`.
   */
  alone?: (em: EntityManager, command: InventoryCommand<S>, message: { id: string; subject: S }) => Promise<InventoryOutcome | null>;
  /** Inside the handler's transaction, after the claim: `decision`, what inventory decided for the order so far. */
  inTransaction: (
    tx: EntityManager,
    command: InventoryCommand<S>,
    decision: InventoryDecision | null,
    messageId: string,
  ) => Promise<InventoryOutcome>;
}

/** Conflicts a fresh attempt resolves: two handlings of one order at once, or a deadlock the database broke. */
const isRetryable = (err: unknown) =>
  err instanceof UniqueConstraintViolationException || err instanceof DeadlockException || err instanceof LockWaitTimeoutException;
const ATTEMPTS = 3;

interface Handled {
  fresh: boolean;
  reply: InventoryReply | null;
  stockChanges: StockChange[];
  outbox: OutboxRecord[];
}

/**
 * Runs one inventory command exactly once per message id. The usual case is the step's one
 * statement (`alone`: claim, effect, record and outbox at once). Otherwise, in ONE transaction:
 * claim the message in the inbox (a redelivery finds it claimed), run the step, store the reply
 * and stock changes next to it, and write to the outbox, as one row, `catalog.stock.changed`
 * (carrying `live.stock.updated`), then the reply with message id `<message id>:reply`. After the commit
 * (either way): invalidate the cached products, then publish those rows (this process, at once;
 * the relay is the fallback). The reply is thus committed exactly once with the decision it
 * reports, and published (by the relay if need be) even across a crash or a bus outage; a
 * redelivered message changes nothing and writes nothing (its reply is already in the outbox, or
 * sent). A failure before the commit leaves no trace and throws: the bus redelivers, then
 * dead-letters.
 */
export async function handleInventoryCommand<S extends InventoryCommandSubject>(
  deps: CatalogDeps,
  envelope: EventEnvelope<S>,
  step: InventoryStep<S>,
): Promise<void> {
  const alone = await handleAlone(deps, envelope, step);
  const handled: Handled = alone ? { fresh: true, ...alone, outbox: alone.written ?? [] } : await handleInTransaction(deps, envelope, step);
  if (!handled.fresh) {
    deps.logger.info(
      { id: envelope.id, subject: envelope.subject },
      'inventory command already handled: its reply was committed with its first handling',
    );
    return;
  }
  // Invalidated first: a gateway that hears `live.stock.updated` must not answer from what it kept.
  await invalidateStockChanges(deps, handled.stockChanges);
  deps.publishCommitted(handled.outbox);
}

/** The step's one-statement path, when it has one; null: not handled there (nothing written). A conflict leaves it to the transactional path, which retries. */
async function handleAlone<S extends InventoryCommandSubject>(deps: CatalogDeps, envelope: EventEnvelope<S>, step: InventoryStep<S>) {
  if (!step.alone) return null;
  try {
    return await step.alone(deps.em.fork(), envelope.data, { id: envelope.id, subject: envelope.subject });
  } catch (err) {
    if (isRetryable(err)) return null;
    throw err;
  }
}

/** Claim, step and record in one transaction (retried on a conflict). */
function handleInTransaction<S extends InventoryCommandSubject>(deps: CatalogDeps, envelope: EventEnvelope<S>, step: InventoryStep<S>) {
  return withRetries(() =>
    deps.em.fork().transactional(async (tx): Promise<Handled> => {
      const inbox = new InboxRepository(tx);
      const { claimed, decision } = await inbox.claim(envelope.id, envelope.subject, envelope.data.orderId.toLowerCase());
      if (!claimed) {
        const stored = await inbox.find(envelope.id);
        if (stored && stored.subject !== envelope.subject) {
          deps.logger.warn(
            { id: envelope.id, subject: envelope.subject, storedSubject: stored.subject },
            'message id already used by another command: ignored',
          );
        }
        return { fresh: false, reply: null, stockChanges: [], outbox: [] };
      }
      const outcome = await step.inTransaction(tx, envelope.data, decision, envelope.id);
      if (outcome.written) return { fresh: true, ...outcome, outbox: outcome.written };
      const outbox = groupOutboxRecords(announcements(envelope.id, outcome));
      // Nothing produced (a commit: one-way, no stock moves): the claimed row already says "handled".
      if (outbox.length) await inbox.record(envelope.id, outcome.reply, outcome.stockChanges, outbox);
      return { fresh: true, ...outcome, outbox };
    }),
  );
}

async function withRetries<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= ATTEMPTS || !isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt));
    }
  }
}
