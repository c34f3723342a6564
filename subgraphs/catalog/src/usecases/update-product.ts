import { catalogCacheKeys, isForeignKeyViolation, NotFoundError, parseInput, translateConstraintErrors } from '@app/platform';
import { z } from 'zod';
import type { CatalogDeps } from '../deps.js';
import { asObject, nameKey, uuid } from '../inputs.js';
import { repositories } from '../repositories/index.js';
import { type ProductView, productView } from '../views.js';
import { afterCommit, stockChangeOf, writeProductUpserted, writeStockChanges } from './announce.js';
import { productFields } from './create-product.js';
import { requireCategory, unknownCategory } from './require-category.js';

const cannotClear = (label: string) => (issue: { input: unknown }) => (issue.input === null ? `${label} cannot be cleared` : undefined);

const updateProductInput = z.object({
  id: uuid('Product id'),
  name: productFields.name.optional(),
  description: productFields.description.nullable().optional(),
  price: z
    .string({ error: cannotClear('Price') })
    .pipe(productFields.price)
    .optional(),
  categoryId: productFields.categoryId.nullable().optional(),
  stockQuantity: z
    .number({ error: (issue) => (issue.input === null ? 'Stock quantity cannot be cleared' : 'Stock quantity must be an integer') })
    .pipe(productFields.stockQuantity)
    .optional(),
});

/**
 * Admin: partial update (a field left out is unchanged; null clears description or categoryId).
 * Setting `stockQuantity` is a stock change like a reservation: announced on `catalog.stock.changed`
 * and `live.stock.updated`. Every update publishes `catalog.product.upserted`. The events go to
 * the outbox in the update's transaction.
 */
export async function updateProduct(deps: CatalogDeps, rawInput: unknown): Promise<ProductView> {
  const { id, ...changes } = parseInput(updateProductInput, asObject(rawInput));
  const { product, before } = await translateConstraintErrors(
    () =>
      deps.em.fork().transactional(async (tx) => {
        const repos = repositories(tx);
        // Locked like a reservation locks it: an admin's new stock level and an order's reservation never interleave.
        const found = await repos.products.findForUpdate(id);
        if (!found) throw new NotFoundError('Product');
        const previous = { categoryId: found.category ?? null, stockQuantity: found.stockQuantity };
        if (changes.categoryId && changes.categoryId !== found.category) await requireCategory(repos.categories, changes.categoryId);
        repos.products.applyChanges(found, { ...changes, nameKey: changes.name === undefined ? undefined : nameKey(changes.name) });
        const stockChanged = found.stockQuantity !== previous.stockQuantity;
        if (stockChanged) found.stockVersion += 1; // under the row lock: no other change gets this number
        await tx.flush(); // `updatedAt` is final: the events carry it (and their message ids)
        writeProductUpserted(tx, found);
        if (stockChanged) writeStockChanges(tx, [stockChangeOf(found)], { msgId: (c) => `stock:${c.productId}:v${c.version}`, live: true });
        return { product: found, before: previous };
      }),
    (err) => (isForeignKeyViolation(err) ? unknownCategory() : undefined),
  );
  const categories = [...new Set([before.categoryId, product.category ?? null])].filter((c): c is string => !!c);
  await afterCommit(deps, 'updateProduct', [
    () => deps.cache.invalidate([catalogCacheKeys.product(product.id), ...categories.map((c) => catalogCacheKeys.categoryProducts(c))]),
  ]);
  return productView(product);
}
