import { type ReserveInventoryCommand, Subjects } from '@app/events';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { InventoryOrder } from '../entities/index.js';
import { repositories } from '../repositories/index.js';
import { stockChangeOf } from './announce.js';
import { type InventoryOutcome, reply } from './inventory-outcome.js';

const REASON_MAX = 2000;
const truncate = (s: string) => (s.length > REASON_MAX ? `${s.slice(0, REASON_MAX - 1)}…` : s);

/** The answer to a reserve for an order inventory has already decided on: the same decision again. */
function decided(order: InventoryOrder, sagaId: string): InventoryOutcome {
  const ids = { sagaId, orderId: order.orderId };
  switch (order.state) {
    case 'reserved':
    case 'committed':
      return { reply: reply(Subjects.CatalogInventoryReserved, ids), stockChanges: [] };
    case 'failed':
      return {
        reply: reply(Subjects.CatalogInventoryReservationFailed, { ...ids, reason: order.reason ?? 'The reservation failed' }),
        stockChanges: [],
      };
    default:
      return {
        reply: reply(Subjects.CatalogInventoryReservationFailed, { ...ids, reason: `The order ${order.orderId} was already released` }),
        stockChanges: [],
      };
  }
}

/**
 * `catalog.inventory.reserve`, inside the caller's transaction: every line of the order or none.
 * The products are row-locked in id order (no deadlock between concurrent orders), checked, and
 * only then decremented; unknown products or short stock reserve nothing and say why. An order
 * already decided (by an earlier command with another message id) gets the same answer again and
 * nothing changes; a concurrent handling of the same order fails on the order's primary key and
 * is retried, to find that decision.
 */
export async function reserveInventory(tx: EntityManager, command: ReserveInventoryCommand): Promise<InventoryOutcome> {
  const { inventory, products } = repositories(tx);
  const orderId = command.orderId.toLowerCase();
  const existing = await inventory.findOrderForUpdate(orderId);
  if (existing) return decided(existing, command.sagaId);

  // One line per product (an order naming a product twice wants the sum).
  const wanted = new Map<string, number>();
  for (const item of command.items) {
    const id = item.productId.toLowerCase();
    wanted.set(id, (wanted.get(id) ?? 0) + item.quantity);
  }
  const lines = [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const locked = new Map((await products.lockForStockChange(lines.map(([id]) => id))).map((p) => [p.id, p]));

  const problems: string[] = [];
  for (const [productId, quantity] of lines) {
    const product = locked.get(productId);
    if (!product) problems.push(`Product ${productId} does not exist`);
    else if (product.stockQuantity < quantity)
      problems.push(`Insufficient stock for "${product.name}": ${quantity} requested, ${product.stockQuantity} available`);
  }
  if (problems.length) {
    const reason = truncate(problems.join('; '));
    await inventory.createOrder({ orderId, sagaId: command.sagaId, state: 'failed', reason });
    return {
      reply: reply(Subjects.CatalogInventoryReservationFailed, { sagaId: command.sagaId, orderId: command.orderId, reason }),
      stockChanges: [],
    };
  }

  for (const [productId, quantity] of lines) {
    locked.get(productId)!.stockQuantity -= quantity;
    inventory.addReservation({ orderId, productId, quantity });
  }
  await inventory.createOrder({ orderId, sagaId: command.sagaId, state: 'reserved' });
  return {
    reply: reply(Subjects.CatalogInventoryReserved, { sagaId: command.sagaId, orderId: command.orderId }),
    stockChanges: lines.map(([productId]) => stockChangeOf(locked.get(productId)!)),
  };
}
