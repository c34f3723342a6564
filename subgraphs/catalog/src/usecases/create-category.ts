import { catalogCacheKeys, isUniqueViolation, parseInput, translateConstraintErrors } from '@app/platform';
import { z } from 'zod';
import type { CatalogDeps } from '../deps.js';
import { asObject, name, nameKey } from '../inputs.js';
import { CategoryRepository } from '../repositories/index.js';
import { type CategoryView, categoryView } from '../views.js';
import { afterCommit } from './announce.js';
import { categoryNameConflict } from './category-name-conflict.js';

export const categoryFields = { name: name('Name') };
const createCategoryInput = z.object(categoryFields);

/** Admin: a new category; its name must be unused (case-insensitively), else CONFLICT. */
export async function createCategory(deps: CatalogDeps, rawInput: unknown): Promise<CategoryView> {
  const input = parseInput(createCategoryInput, asObject(rawInput));
  const key = nameKey(input.name);
  const category = await translateConstraintErrors(
    () =>
      deps.em.fork().transactional(async (tx) => {
        const categories = new CategoryRepository(tx);
        if (await categories.findByNameKey(key)) throw categoryNameConflict(input.name);
        return categories.create({ name: input.name, nameKey: key });
      }),
    // Two creates of one name at once: the unique index lets one through.
    (err) => (isUniqueViolation(err) ? categoryNameConflict(input.name) : undefined),
  );
  await afterCommit(deps, 'createCategory', [
    () => deps.cache.invalidate([catalogCacheKeys.category(category.id), catalogCacheKeys.categories()]),
  ]);
  return categoryView(category);
}
