import { catalogCacheKeys } from '@app/platform';
import type { CatalogDeps } from '../deps.js';
import { isUuid } from '../inputs.js';
import { CategoryRepository } from '../repositories/index.js';
import { type CategoryView, categoryView } from '../views.js';

/** Categories by id through the cache (`category:{id}`), the misses in one query; null for none (or a malformed id). */
export async function loadCategories(deps: CatalogDeps, ids: readonly string[]): Promise<(CategoryView | null)[]> {
  const normalized = ids.map((id) => (isUuid(id) ? id.toLowerCase() : null));
  const valid = normalized.filter((id): id is string => id !== null);
  const views = await deps.cache.getMany<CategoryView>(
    valid.map((id) => catalogCacheKeys.category(id)),
    async (missing) => {
      const rows = await new CategoryRepository(deps.em.fork()).findByIds(missing.map((key) => key.slice('category:'.length)));
      return new Map(rows.map((row) => [catalogCacheKeys.category(row.id), categoryView(row)]));
    },
  );
  const byId = new Map(valid.map((id, i) => [id, views[i]]));
  return normalized.map((id) => (id === null ? null : (byId.get(id) ?? null)));
}
