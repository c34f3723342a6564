import { type ReserveInventoryCommand, Subjects } from '@app/events';
import type { OutboxRecord } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { InventoryOrderState } from '../entities/index.js';
import { repositories } from '../repositories/index.js';
import type { InventoryDecision } from './handle-inventory-command.js';
import { announcements, type InventoryOutcome, reply } from './inventory-outcome.js';

const REASON_MAX = 2000;
const truncate = (s: string) => (s.length > REASON_MAX ? `${s.slice(0, REASON_MAX - 1)}…` : s);

/** The answer to a reserve for an order inventory has already decided on: the same decision again. */
function decided(order: { state: InventoryOrderState; reason: string | null }, ids: { sagaId: string; orderId: string }): InventoryOutcome {
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
        reply: reply(Subjects.CatalogInventoryReservationFailed, { ...ids, reason: `The order ${ids.orderId} was already released` }),
        stockChanges: [],
      };
  }
}

/**
 * `catalog.inventory.reserve`, inside the caller's transaction: every line of the order or none.
 * One statement locks the products in id order (no deadlock between concurrent orders), checks
 * them and, when every line can be served, takes the stock and writes the announcements (stock
 * changes and the `reserved` reply) with the inbox record: hot products stay locked for that
 * statement and the commit only. Unknown products or short stock reserve nothing and say why (two
 * more statements). An order already decided (by an earlier command with another message id) gets
 * the same answer again and nothing changes; a concurrent handling of the same order fails on the
 * order's primary key and is retried, to find that decision. `existing`: the decision so far,
 * read and locked with the command's inbox claim.
 */
export async function reserveInventory(
  tx: EntityManager,
  command: ReserveInventoryCommand,
  existing: InventoryDecision | null,
  messageId: string,
): Promise<InventoryOutcome> {
  const { inventory } = repositories(tx);
  const orderId = command.orderId.toLowerCase();
  const ids = { sagaId: command.sagaId, orderId: command.orderId };
  if (existing) return decided(existing, ids);

  // One line per product (an order naming a product twice wants the sum).
  const wanted = new Map<string, number>();
  for (const item of command.items) {
    const id = item.productId.toLowerCase();
    wanted.set(id, (wanted.get(id) ?? 0) + item.quantity);
  }
  const lines = [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const now = new Date();
  const reserved = reply(Subjects.CatalogInventoryReserved, ids);
  // The announcements of a success; the statement fills in each product's new stock level.
  const planned = lines.map(([productId]) => ({ productId, newQuantity: 0, updatedAt: now.toISOString() }));
  const outbox = announcements(messageId, { reply: reserved, stockChanges: planned });
  const productOf = (r: OutboxRecord) => (r.payload.newQuantity === undefined ? null : String(r.payload.productId));
  const { locked, taken } = await inventory.reserveAndAnnounce({
    orderId,
    sagaId: command.sagaId,
    lines,
    now,
    announce: { inboxId: messageId, reply: reserved, outbox: outbox.map((r) => ({ ...r, productId: productOf(r) })) },
  });

  if (taken) {
    const level = new Map(taken.map((t) => [t.id, t.stockQuantity]));
    for (const record of outbox) if (productOf(record)) record.payload.newQuantity = level.get(productOf(record)!);
    const stockChanges = planned.map((c) => ({ ...c, newQuantity: level.get(c.productId)! }));
    return { reply: reserved, stockChanges, written: outbox };
  }
  const stock = new Map(locked.map((p) => [p.id, p]));
  const problems: string[] = [];
  for (const [productId, quantity] of lines) {
    const product = stock.get(productId);
    if (!product) problems.push(`Product ${productId} does not exist`);
    else if (product.stockQuantity < quantity)
      problems.push(`Insufficient stock for "${product.name}": ${quantity} requested, ${product.stockQuantity} available`);
  }
  const reason = truncate(problems.join('; ') || 'The reservation failed');
  await inventory.recordFailed(orderId, command.sagaId, reason);
  return { reply: reply(Subjects.CatalogInventoryReservationFailed, { ...ids, reason }), stockChanges: [] };
}
