import { type ReserveInventoryCommand, Subjects } from '@app/events';
import { groupOutboxRecords, type OutboxRecord } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { InventoryOrderState } from '../entities/index.js';
import { type NewStock, repositories } from '../repositories/index.js';
import type { InventoryDecision, InventoryStep } from './handle-inventory-command.js';
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

/** A reservation worked out from the command: one line per product (in id order), the reply and the announcements of a success. */
function plan(command: ReserveInventoryCommand, messageId: string) {
  // One line per product (an order naming a product twice wants the sum).
  const wanted = new Map<string, number>();
  for (const item of command.items) {
    const id = item.productId.toLowerCase();
    wanted.set(id, (wanted.get(id) ?? 0) + item.quantity);
  }
  const lines = [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const now = new Date();
  const ids = { sagaId: command.sagaId, orderId: command.orderId };
  const reserved = reply(Subjects.CatalogInventoryReserved, ids);
  // The announcements of a success; the statement fills in each product's new stock level and version.
  const planned = lines.map(([productId]) => ({ productId, newQuantity: 0, updatedAt: now.toISOString(), version: 0 }));
  const outbox = announcements(messageId, { reply: reserved, stockChanges: planned });
  return { orderId: command.orderId.toLowerCase(), ids, lines, now, reserved, planned, outbox };
}
type Plan = ReturnType<typeof plan>;

const productOf = (r: OutboxRecord) => (r.payload.newQuantity === undefined ? null : String(r.payload.productId));

/** Locks, checks and, when every line can be served, takes the stock and writes the announcements: one statement (`reserveAndAnnounce`). */
function reserveAndAnnounce(em: EntityManager, p: Plan, messageId: string, claim?: { subject: string }) {
  return repositories(em).inventory.reserveAndAnnounce({
    orderId: p.orderId,
    sagaId: p.ids.sagaId,
    lines: p.lines,
    now: p.now,
    announce: { inboxId: messageId, reply: p.reserved, outbox: p.outbox.map((r) => ({ ...r, productId: productOf(r) })) },
    claim,
  });
}

/** The outcome of a reservation that took the stock: each announcement with its product's new level and version. */
function reservedOutcome(p: Plan, taken: NewStock[]): InventoryOutcome {
  const after = new Map(taken.map((t) => [t.id, { newQuantity: t.stockQuantity, version: t.version }]));
  for (const record of p.outbox) {
    const product = productOf(record);
    if (product) Object.assign(record.payload, after.get(product));
  }
  const stockChanges = p.planned.map((c) => ({ ...c, ...after.get(c.productId)! }));
  // As the statement wrote them: one row.
  return { reply: p.reserved, stockChanges, written: groupOutboxRecords(p.outbox) };
}

/**
 * `catalog.inventory.reserve` as the usual case, a new order whose every line is in stock: the
 * whole handling (the inbox claim too) is one statement outside any transaction, so hot products
 * stay locked for that statement only. Null when it wrote nothing (a redelivery, an order already
 * decided, a line that cannot be served): the transactional path then works out the answer.
 */
async function reserveAlone(em: EntityManager, command: ReserveInventoryCommand, message: { id: string; subject: string }) {
  const p = plan(command, message.id);
  const { taken } = await reserveAndAnnounce(em, p, message.id, { subject: message.subject });
  return taken ? reservedOutcome(p, taken) : null;
}

/**
 * `catalog.inventory.reserve`, inside the caller's transaction: every line of the order or none.
 * One statement locks the products in id order (no deadlock between concurrent orders), checks
 * them and, when every line can be served, takes the stock and writes the announcements (stock
 * changes and the `reserved` reply) with the inbox record. Unknown products or short stock
 * reserve nothing and say why (two more statements). An order already decided (by an earlier
 * command with another message id) gets the same answer again and nothing changes; a concurrent
 * handling of the same order fails on the order's primary key and is retried, to find that
 * decision. `existing`: the decision so far, read and locked with the command's inbox claim.
 */
async function reserveInTransaction(
  tx: EntityManager,
  command: ReserveInventoryCommand,
  existing: InventoryDecision | null,
  messageId: string,
): Promise<InventoryOutcome> {
  const p = plan(command, messageId);
  if (existing) return decided(existing, p.ids);
  const { locked, taken } = await reserveAndAnnounce(tx, p, messageId);
  if (taken) return reservedOutcome(p, taken);

  const stock = new Map(locked.map((product) => [product.id, product]));
  const problems: string[] = [];
  for (const [productId, quantity] of p.lines) {
    const product = stock.get(productId);
    if (!product) problems.push(`Product ${productId} does not exist`);
    else if (product.stockQuantity < quantity)
      problems.push(`Insufficient stock for "${product.name}": ${quantity} requested, ${product.stockQuantity} available`);
  }
  const reason = truncate(problems.join('; ') || 'The reservation failed');
  await repositories(tx).inventory.recordFailed(p.orderId, command.sagaId, reason);
  return { reply: reply(Subjects.CatalogInventoryReservationFailed, { ...p.ids, reason }), stockChanges: [] };
}

/** `catalog.inventory.reserve`: every line of the order or none (see reserveAlone and reserveInTransaction). */
export const reserveInventory: InventoryStep<typeof Subjects.CatalogInventoryReserve> = {
  alone: reserveAlone,
  inTransaction: reserveInTransaction,
};
