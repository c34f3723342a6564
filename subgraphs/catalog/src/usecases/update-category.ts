import { catalogCacheKeys, isUniqueViolation, NotFoundError, parseInput, translateConstraintErrors } from '@app/platform';
import { z } from 'zod';
import type { CatalogDeps } from '../deps.js';
import { asObject, nameKey, uuid } from '../inputs.js';
import { CategoryRepository } from '../repositories/index.js';
import { type CategoryView, categoryView } from '../views.js';
import { afterCommit } from './announce.js';
import { categoryNameConflict } from './category-name-conflict.js';
import { categoryFields } from './create-category.js';

const updateCategoryInput = z.object({ id: uuid('Category id'), ...categoryFields });

/** Admin: renames a category (the new name must be unused, case-insensitively). */
export async function updateCategory(deps: CatalogDeps, rawInput: unknown): Promise<CategoryView> {
  const input = parseInput(updateCategoryInput, asObject(rawInput));
  const key = nameKey(input.name);
  const category = await translateConstraintErrors(
    () =>
      deps.em.fork().transactional(async (tx) => {
        const categories = new CategoryRepository(tx);
        const found = await categories.findForUpdate(input.id);
        if (!found) throw new NotFoundError('Category');
        if (await categories.findByNameKey(key, found.id)) throw categoryNameConflict(input.name);
        found.name = input.name;
        found.nameKey = key;
        return found;
      }),
    (err) => (isUniqueViolation(err) ? categoryNameConflict(input.name) : undefined),
  );
  await afterCommit(deps, 'updateCategory', [
    () => deps.cache.invalidate([catalogCacheKeys.category(category.id), catalogCacheKeys.categories()]),
  ]);
  return categoryView(category);
}
