import { catalogCacheKeys } from '@app/platform';
import type { CatalogDeps } from '../deps.js';
import type { Product, StockChange } from '../entities/index.js';
import { productView } from '../views.js';

/**
 * After-commit announcements of the catalog's use cases (never inside a transaction: nobody
 * hears about a change that might still roll back).
 */

/**
 * Stock levels that changed: the product keys are invalidated (shared cache and every replica),
 * `catalog.stock.changed` is published durably, and, when `live`, `live.stock.updated` is
 * broadcast to every gateway (the `stockUpdated` subscription). Throws when publishing the durable event fails.
 */
export async function announceStockChanges(deps: CatalogDeps, changes: readonly StockChange[], opts: { msgId: (change: StockChange) => string; live: boolean }): Promise<void> {
  if (!changes.length) return;
  // A shared cache that is down must not hold back the saga's reply (the cache retries a second later).
  await deps.cache
    .invalidate(changes.map((c) => catalogCacheKeys.product(c.productId)))
    .catch((err) => deps.logger.warn({ err, products: changes.map((c) => c.productId) }, 'could not invalidate cached products after a stock change'));
  for (const change of changes) await deps.bus.publish('catalog.stock.changed', change, { msgId: opts.msgId(change) });
  if (!opts.live) return;
  for (const change of changes) {
    await deps.bus.broadcast('live.stock.updated', change).catch((err) => deps.logger.warn({ err, productId: change.productId }, 'could not broadcast a stock update'));
  }
}

export const stockChangeOf = (p: Product): StockChange => ({ productId: p.id, newQuantity: p.stockQuantity, updatedAt: p.updatedAt.toISOString() });

/** `catalog.product.upserted` for the read models of other services (price as an exact decimal string). */
export function publishProductUpserted(deps: CatalogDeps, product: Product): Promise<void> {
  const view = productView(product);
  return deps.bus.publish(
    'catalog.product.upserted',
    { productId: view.id, name: view.name, price: view.price, categoryId: view.categoryId, updatedAt: view.updatedAt },
    { msgId: `product:${view.id}:${product.updatedAt.getTime()}` },
  );
}

export function publishProductDeleted(deps: CatalogDeps, productId: string, deletedAt: Date): Promise<void> {
  return deps.bus.publish('catalog.product.deleted', { productId, deletedAt: deletedAt.toISOString() }, { msgId: `product:${productId}:deleted:${deletedAt.getTime()}` });
}

/**
 * Runs the announcements of an admin write that has already committed. A failure is logged, not
 * thrown: the write happened, and answering with an error would invite a client to repeat it.
 */
export async function afterCommit(deps: CatalogDeps, what: string, steps: (() => Promise<void>)[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      deps.logger.error({ err, what }, 'announcing a committed catalog change failed');
    }
  }
}
