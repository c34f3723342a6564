import { Subjects } from '@app/events';
import { catalogCacheKeys, type OutboxRecord, outboxRecord, writeOutbox, writeOutboxRecord } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CatalogDeps } from '../deps.js';
import type { Product, StockChange } from '../entities/index.js';
import { productView } from '../views.js';

/**
 * The catalog's announcements. Events go to the outbox inside the transaction of the change they
 * announce (the relay publishes them once committed, in order, even after a bus outage: nobody
 * hears about a change that might still roll back, and no committed change goes unannounced).
 * After the commit a use case drops the cached copies, then nudges the relay.
 */

/**
 * The outbox rows announcing stock levels that changed: `catalog.stock.changed` (durable), one per
 * product, each carrying, when `live`, the same message as `live.stock.updated` (fan-out to every
 * gateway, for the `stockUpdated` subscription), published right after it from the same row.
 */
export function stockChangeRecords(
  changes: readonly StockChange[],
  opts: { msgId: (change: StockChange) => string; live: boolean },
): OutboxRecord[] {
  const broadcast = opts.live ? { subject: Subjects.LiveStockUpdated } : undefined;
  return changes.map((change) => outboxRecord(Subjects.CatalogStockChanged, change, { msgId: opts.msgId(change), broadcast }));
}

/** The same rows written to the outbox inside the transaction that changed the stock (through the unit of work). */
export function writeStockChanges(
  tx: EntityManager,
  changes: readonly StockChange[],
  opts: { msgId: (change: StockChange) => string; live: boolean },
): void {
  for (const record of stockChangeRecords(changes, opts)) writeOutboxRecord(tx, record);
}

/** After the commit of stock changes: the product keys are invalidated (shared cache and every replica). Never throws. */
export async function invalidateStockChanges(deps: CatalogDeps, changes: readonly StockChange[]): Promise<void> {
  if (!changes.length) return;
  // A shared cache that is down must not fail the handling (the cache retries a second later).
  await deps.cache
    .invalidate(changes.map((c) => catalogCacheKeys.product(c.productId)))
    .catch((err) =>
      deps.logger.warn({ err, products: changes.map((c) => c.productId) }, 'could not invalidate cached products after a stock change'),
    );
}

export const stockChangeOf = (p: Product): StockChange => ({
  productId: p.id,
  newQuantity: p.stockQuantity,
  updatedAt: p.updatedAt.toISOString(),
  version: p.stockVersion,
});

/** `catalog.product.upserted` for the read models of other services (price as an exact decimal string), with its message id. */
function productUpserted(product: Product) {
  const view = productView(product);
  return {
    payload: { productId: view.id, name: view.name, price: view.price, categoryId: view.categoryId, updatedAt: view.updatedAt },
    msgId: `product:${view.id}:${product.updatedAt.getTime()}`,
  };
}

/** `catalog.product.upserted` into the outbox, in the transaction that wrote the product (flushed: `updatedAt` is final). */
export function writeProductUpserted(tx: EntityManager, product: Product): void {
  const { payload, msgId } = productUpserted(product);
  writeOutbox(tx, Subjects.CatalogProductUpserted, payload, { msgId });
}

/** `catalog.product.upserted` published directly: only for announceAllProducts' best-effort refresh. */
export function publishProductUpserted(deps: CatalogDeps, product: Product): Promise<void> {
  const { payload, msgId } = productUpserted(product);
  return deps.bus.publish(Subjects.CatalogProductUpserted, payload, { msgId });
}

export function writeProductDeleted(tx: EntityManager, productId: string, deletedAt: Date): void {
  writeOutbox(
    tx,
    Subjects.CatalogProductDeleted,
    { productId, deletedAt: deletedAt.toISOString() },
    { msgId: `product:${productId}:deleted:${deletedAt.getTime()}` },
  );
}

/**
 * Runs the after-commit steps of an admin write (cache invalidation), then nudges the outbox
 * relay. A failure is logged, not thrown: the write happened, and answering with an error would
 * invite a client to repeat it.
 */
export async function afterCommit(deps: CatalogDeps, what: string, steps: (() => Promise<void>)[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      deps.logger.error({ err, what }, 'a step after a committed catalog change failed');
    }
  }
  deps.nudgeOutbox();
}
