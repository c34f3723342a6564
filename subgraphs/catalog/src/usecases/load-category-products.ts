import { catalogCacheKeys } from '@app/platform';
import type { CatalogDeps } from '../deps.js';
import { ProductRepository } from '../repositories/index.js';
import type { ProductView } from '../views.js';
import { loadProducts } from './load-products.js';

/**
 * `Category.products` of many categories at once: the id lists through the cache
 * (`category-products:{id}`, one query for the misses), then every product through `loadProducts`
 * (one more query for those not cached). Stock changes then only invalidate `product:{id}`.
 */
export async function loadCategoryProducts(deps: CatalogDeps, categoryIds: readonly string[]): Promise<ProductView[][]> {
  const lists = await deps.cache.getMany<string[]>(
    categoryIds.map((id) => catalogCacheKeys.categoryProducts(id)),
    async (missing) => {
      const ids = missing.map((key) => key.slice('category-products:'.length));
      const found = await new ProductRepository(deps.em.fork()).idsByCategory(ids);
      return new Map(ids.map((id) => [catalogCacheKeys.categoryProducts(id), found.get(id) ?? []]));
    },
  );
  const allIds = [...new Set(lists.flatMap((l) => l ?? []))];
  const products = await loadProducts(deps, allIds);
  const byId = new Map(allIds.map((id, i) => [id, products[i]]));
  // A product deleted after its list was read is simply left out.
  return lists.map((list) => (list ?? []).map((id) => byId.get(id)).filter((p): p is ProductView => !!p));
}
