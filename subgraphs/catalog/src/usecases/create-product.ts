import { catalogCacheKeys, isForeignKeyViolation, parseInput, translateConstraintErrors } from '@app/platform';
import { z } from 'zod';
import type { CatalogDeps } from '../deps.js';
import { asObject, DESCRIPTION_MAX, name, nameKey, price, stockQuantity, text, uuid } from '../inputs.js';
import { repositories } from '../repositories/index.js';
import { type ProductView, productView } from '../views.js';
import { afterCommit, writeProductUpserted } from './announce.js';
import { requireCategory, unknownCategory } from './require-category.js';

export const productFields = {
  name: name('Name'),
  description: text('Description', DESCRIPTION_MAX),
  price,
  categoryId: uuid('Category id'),
  stockQuantity,
};

const createProductInput = z.object({
  name: productFields.name,
  description: productFields.description.nullish().transform((v) => v ?? null),
  price: productFields.price,
  categoryId: productFields.categoryId.nullish().transform((v) => v ?? null),
  stockQuantity: productFields.stockQuantity.nullish().transform((v) => v ?? 0),
});

/** Admin: a new product (stock 0 unless given); `catalog.product.upserted` in the outbox, committed with it. */
export async function createProduct(deps: CatalogDeps, rawInput: unknown): Promise<ProductView> {
  const input = parseInput(createProductInput, asObject(rawInput));
  const product = await translateConstraintErrors(
    () =>
      deps.em.fork().transactional(async (tx) => {
        const repos = repositories(tx);
        if (input.categoryId) await requireCategory(repos.categories, input.categoryId);
        const created = await repos.products.create({ ...input, nameKey: nameKey(input.name) });
        writeProductUpserted(tx, created);
        return created;
      }),
    (err) => (isForeignKeyViolation(err) ? unknownCategory() : undefined),
  );
  await afterCommit(deps, 'createProduct', [
    () =>
      deps.cache.invalidate([
        catalogCacheKeys.product(product.id),
        ...(product.category ? [catalogCacheKeys.categoryProducts(product.category)] : []),
      ]),
  ]);
  return productView(product);
}
