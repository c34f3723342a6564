import { catalogCacheKeys, NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { CatalogDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import { repositories } from '../repositories/index.js';
import { afterCommit, writeProductDeleted } from './announce.js';

const deleteProductInput = z.object({ id: uuid('Product id') });

/**
 * Admin: deletes a product; `catalog.product.deleted` in the outbox, committed with it.
 * Reservations already made for it stay on record (a later release of them has no stock to give back).
 */
export async function deleteProduct(deps: CatalogDeps, id: unknown): Promise<true> {
  const input = parseInput(deleteProductInput, { id });
  const categoryId = await deps.em.fork().transactional(async (tx) => {
    const repos = repositories(tx);
    const found = await repos.products.findForUpdate(input.id);
    if (!found) throw new NotFoundError('Product');
    await repos.products.delete(input.id);
    writeProductDeleted(tx, input.id, new Date());
    return found.category ?? null;
  });
  await afterCommit(deps, 'deleteProduct', [
    () =>
      deps.cache.invalidate([catalogCacheKeys.product(input.id), ...(categoryId ? [catalogCacheKeys.categoryProducts(categoryId)] : [])]),
  ]);
  return true;
}
