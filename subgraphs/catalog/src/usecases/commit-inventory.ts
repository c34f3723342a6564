import type { CommitInventoryCommand, Subjects } from '@app/events';
import type { Logger } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { repositories } from '../repositories/index.js';
import type { InventoryDecision, InventoryStep } from './handle-inventory-command.js';
import type { InventoryOutcome } from './inventory-outcome.js';

/**
 * `catalog.inventory.commit` as the usual case, an order holding its reservation: the whole
 * handling (the inbox claim too) is one statement outside any transaction. Null when it wrote
 * nothing (a redelivery, an order that holds nothing): the transactional path then handles it.
 */
async function commitAlone(
  em: EntityManager,
  command: CommitInventoryCommand,
  message: { id: string; subject: string },
): Promise<InventoryOutcome | null> {
  const claimed = await repositories(em).inventory.commitAlone(command.orderId.toLowerCase(), message);
  return claimed ? { reply: null, stockChanges: [], written: [] } : null;
}

/**
 * `catalog.inventory.commit`, inside the caller's transaction: the order was confirmed, so its
 * reserved lines become sold (stock was already taken at reserve). A one-way command: the order
 * does not wait for it, so nothing is sent back. Committing again changes nothing. An order that
 * holds nothing (released by a cancellation that overtook the commit, failed, never reserved)
 * is not committed: nothing changes.
 */
async function commitInTransaction(
  tx: EntityManager,
  command: CommitInventoryCommand,
  order: InventoryDecision | null,
  logger?: Logger,
): Promise<InventoryOutcome> {
  const nothing: InventoryOutcome = { reply: null, stockChanges: [] };
  const orderId = command.orderId.toLowerCase();
  if (!order || (order.state !== 'reserved' && order.state !== 'committed')) {
    // Released: a cancellation overtook the commit (the usual case). Anything else should not happen.
    logger?.[order?.state === 'released' ? 'info' : 'warn'](
      { orderId, state: order?.state ?? null, sagaId: command.sagaId },
      'commit of an order that holds no reservation: ignored',
    );
    return nothing;
  }
  if (order.state === 'reserved') await repositories(tx).inventory.commit(orderId);
  return nothing;
}

/** `catalog.inventory.commit` (see commitAlone and commitInTransaction); `logger` hears of a commit that finds nothing to commit. */
export const commitInventory = (logger?: Logger): InventoryStep<typeof Subjects.CatalogInventoryCommit> => ({
  alone: commitAlone,
  inTransaction: (tx, command, order) => commitInTransaction(tx, command, order, logger),
});
