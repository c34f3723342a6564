import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { CatalogDeps } from '../deps.js';
import { asObject, connectionArgs, encodeCursor, uuid } from '../inputs.js';
import { ProductRepository } from '../repositories/index.js';
import { type ProductView, productView } from '../views.js';

const connectionInput = z.object({
  categoryId: uuid('Category id')
    .nullish()
    .transform((v) => v ?? undefined),
  ...connectionArgs,
});

export interface ProductConnection {
  edges: { cursor: string; node: ProductView }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/**
 * Products by name as a Relay connection (public). Keyset pagination on (name, id): a cursor
 * is an opaque encoding of the last product's position, so pages stay consistent while
 * products are added or removed in front of them. `hasPreviousPage`: some product of the filter
 * comes at or before `after`.
 */
export async function listProductsConnection(deps: CatalogDeps, args: unknown): Promise<ProductConnection> {
  const input = parseInput(connectionInput, asObject(args));
  // Three independent reads, each on its own fork (an EntityManager is not shared between concurrent queries).
  const products = () => new ProductRepository(deps.em.fork());
  const after = input.after;
  const [rows, totalCount, hasPreviousPage] = await Promise.all([
    products().pageAfter(input),
    products().count(input.categoryId),
    after ? products().anyAtOrBefore(input.categoryId, after) : Promise.resolve(false),
  ]);
  const page = rows.slice(0, input.first).map(productView);
  const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > input.first,
      hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
