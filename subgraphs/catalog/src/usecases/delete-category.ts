import {
  ConflictError,
  catalogCacheKeys,
  isForeignKeyViolation,
  NotFoundError,
  parseInput,
  translateConstraintErrors,
} from '@app/platform';
import { z } from 'zod';
import type { CatalogDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import { repositories } from '../repositories/index.js';
import { afterCommit } from './announce.js';

const deleteCategoryInput = z.object({ id: uuid('Category id') });

const stillUsed = (count?: number) =>
  new ConflictError(
    `The category still has ${count === undefined ? '' : `${count} `}product${count === 1 ? '' : 's'}: move or delete them first`,
    'id',
  );

/**
 * Admin: deletes an empty category. One that still has products is a CONFLICT (products are
 * never silently detached); the foreign key refuses it too, should a product arrive meanwhile.
 */
export async function deleteCategory(deps: CatalogDeps, id: unknown): Promise<true> {
  const input = parseInput(deleteCategoryInput, { id });
  await translateConstraintErrors(
    () =>
      deps.em.fork().transactional(async (tx) => {
        const repos = repositories(tx);
        // The row lock waits for product writes that hold the category (FOR SHARE) to finish.
        if (!(await repos.categories.findForUpdate(input.id))) throw new NotFoundError('Category');
        const count = await repos.products.countInCategory(input.id);
        if (count > 0) throw stillUsed(count);
        await repos.categories.delete(input.id);
      }),
    (err) => (isForeignKeyViolation(err) ? stillUsed() : undefined),
  );
  await afterCommit(deps, 'deleteCategory', [
    () =>
      deps.cache.invalidate([
        catalogCacheKeys.category(input.id),
        catalogCacheKeys.categories(),
        catalogCacheKeys.categoryProducts(input.id),
      ]),
  ]);
  return true;
}
