import { type CommitInventoryCommand, Subjects } from '@app/events';
import type { Logger } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { repositories } from '../repositories/index.js';
import type { InventoryDecision } from './handle-inventory-command.js';
import { type InventoryOutcome, reply } from './inventory-outcome.js';

/**
 * `catalog.inventory.commit`, inside the caller's transaction: the order is confirmed and its
 * reserved lines become sold (stock was already taken at reserve). Committing again answers
 * `committed` again. An order that holds nothing (never reserved, failed, released) cannot be
 * committed: nothing changes and no reply is sent (the saga's step timeout handles it).
 */
export async function commitInventory(
  tx: EntityManager,
  command: CommitInventoryCommand,
  order: InventoryDecision | null,
  logger?: Logger,
): Promise<InventoryOutcome> {
  const { inventory } = repositories(tx);
  const orderId = command.orderId.toLowerCase();
  if (!order || (order.state !== 'reserved' && order.state !== 'committed')) {
    logger?.warn({ orderId, state: order?.state ?? null, sagaId: command.sagaId }, 'commit of an order that holds no reservation: ignored');
    return { reply: null, stockChanges: [] };
  }
  if (order.state === 'reserved') await inventory.commit(orderId);
  return { reply: reply(Subjects.CatalogInventoryCommitted, { sagaId: command.sagaId, orderId: command.orderId }), stockChanges: [] };
}
