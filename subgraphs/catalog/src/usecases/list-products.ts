import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { CatalogDeps } from '../deps.js';
import { asObject, pageArgs, uuid } from '../inputs.js';
import { ProductRepository } from '../repositories/index.js';
import { type ProductView, productView } from '../views.js';

const listProductsInput = z.object({
  categoryId: uuid('Category id')
    .nullish()
    .transform((v) => v ?? undefined),
  ...pageArgs,
});

/** Products by name (public), optionally of one category (an unknown one has none); limit/offset pages. */
export async function listProducts(deps: CatalogDeps, args: unknown): Promise<ProductView[]> {
  const filter = parseInput(listProductsInput, asObject(args));
  const rows = await new ProductRepository(deps.em.fork()).list(filter);
  return rows.map(productView);
}
