import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { CatalogDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import type { ProductView } from '../views.js';
import { loadProducts } from './load-products.js';

const getProductInput = z.object({ id: uuid('Product id') });

/** One product (public); null when there is none with this id. */
export async function getProduct(deps: CatalogDeps, id: unknown): Promise<ProductView | null> {
  const input = parseInput(getProductInput, { id });
  const [product] = await loadProducts(deps, [input.id]);
  return product;
}
