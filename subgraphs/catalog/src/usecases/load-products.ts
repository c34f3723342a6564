import { catalogCacheKeys } from '@app/platform';
import type { CatalogDeps } from '../deps.js';
import { isUuid } from '../inputs.js';
import { ProductRepository } from '../repositories/index.js';
import { type ProductView, productView } from '../views.js';

/** Products by id through the cache (`product:{id}`), the misses in one query; null for none (or a malformed id). */
export async function loadProducts(deps: CatalogDeps, ids: readonly string[]): Promise<(ProductView | null)[]> {
  const normalized = ids.map((id) => (isUuid(id) ? id.toLowerCase() : null));
  const valid = normalized.filter((id): id is string => id !== null);
  const views = await deps.cache.getMany<ProductView>(
    valid.map((id) => catalogCacheKeys.product(id)),
    async (missing) => {
      const keyOf = new Map(missing.map((key) => [key.slice('product:'.length), key]));
      const rows = await new ProductRepository(deps.em.fork()).findByIds([...keyOf.keys()]);
      return new Map(rows.map((row) => [catalogCacheKeys.product(row.id), productView(row)]));
    },
  );
  const byId = new Map(valid.map((id, i) => [id, views[i]]));
  return normalized.map((id) => (id === null ? null : (byId.get(id) ?? null)));
}
