import type { PayloadOf, Subjects } from '@app/events';
import { decimal } from '@app/platform';
import type { OrdersDeps } from '../deps.js';
import { ProductRepository } from '../repositories/index.js';

/**
 * `catalog.product.upserted` / `deleted` -> the read model createOrder snapshots from. Versions
 * are ordered by the catalog's timestamps, so a redelivered or late event never goes back in time,
 * and a deleted product stays deleted (tombstone) whatever older upsert arrives later.
 */
export async function applyProductUpserted(deps: OrdersDeps, data: PayloadOf<typeof Subjects.CatalogProductUpserted>): Promise<void> {
  await new ProductRepository(deps.em.fork()).apply({
    id: data.productId.toLowerCase(),
    name: data.name,
    price: decimal.normalize(data.price),
    categoryId: data.categoryId,
    sourceUpdatedAt: new Date(data.updatedAt),
    deletedAt: null,
  });
}

export async function applyProductDeleted(deps: OrdersDeps, data: PayloadOf<typeof Subjects.CatalogProductDeleted>): Promise<void> {
  const at = new Date(data.deletedAt);
  await new ProductRepository(deps.em.fork()).apply({ id: data.productId.toLowerCase(), sourceUpdatedAt: at, deletedAt: at });
}
