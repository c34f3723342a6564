import { catalogCacheKeys } from '@app/platform';
import type { CatalogDeps } from '../deps.js';
import { CategoryRepository } from '../repositories/index.js';
import { type CategoryView, categoryView } from '../views.js';

/** Every category by name (public), cached as one entry (`categories:all`). */
export async function listCategories(deps: CatalogDeps): Promise<CategoryView[]> {
  const list = await deps.cache.get<CategoryView[]>(catalogCacheKeys.categories(), async () => {
    const rows = await new CategoryRepository(deps.em.fork()).listAll();
    return rows.map(categoryView);
  });
  return list ?? [];
}
