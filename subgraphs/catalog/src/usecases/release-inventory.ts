import { type ReleaseInventoryCommand, Subjects } from '@app/events';
import type { EntityManager } from '@mikro-orm/postgresql';
import { repositories } from '../repositories/index.js';
import { stockChangeOf } from './announce.js';
import type { InventoryStep } from './handle-inventory-command.js';
import { type InventoryOutcome, reply } from './inventory-outcome.js';

/**
 * `catalog.inventory.release` (compensation), inside the caller's transaction: gives back what
 * the order holds (reserved, or already committed) and marks it released. Releasing again, or
 * releasing an order that never reserved anything, changes no stock and still answers
 * `released`; an order never seen is remembered as released, so a reserve that arrives after
 * its own compensation reserves nothing.
 */
async function releaseInTransaction(tx: EntityManager, command: ReleaseInventoryCommand): Promise<InventoryOutcome> {
  const { inventory, products } = repositories(tx);
  const orderId = command.orderId.toLowerCase();
  const done = { reply: reply(Subjects.CatalogInventoryReleased, { sagaId: command.sagaId, orderId: command.orderId }), stockChanges: [] };

  const order = await inventory.findOrderForUpdate(orderId);
  if (!order) {
    await inventory.createOrder({
      orderId,
      sagaId: command.sagaId,
      state: 'released',
      reason: command.reason ? command.reason.slice(0, 2000) : null,
    });
    return done;
  }
  if (order.state !== 'reserved' && order.state !== 'committed') return done;

  const held = (await inventory.reservationsOf(orderId)).filter((r) => r.state === 'reserved' || r.state === 'committed');
  const locked = new Map((await products.lockForStockChange(held.map((r) => r.productId))).map((p) => [p.id, p]));
  for (const line of held) {
    const product = locked.get(line.productId);
    if (product) product.stockQuantity += line.quantity; // a product deleted since has nothing to give back to
    line.state = 'released';
  }
  order.state = 'released';
  for (const product of locked.values()) product.stockVersion += 1; // under the row lock, once per product
  await inventory.flush();
  return { ...done, stockChanges: [...locked.values()].map(stockChangeOf) };
}

/** `catalog.inventory.release`: always in a transaction (a compensation, off the hot path). */
export const releaseInventory: InventoryStep<typeof Subjects.CatalogInventoryRelease> = { inTransaction: releaseInTransaction };
