import { catalogCacheKeys } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CatalogDeps } from '../deps.js';
import { Category, Product } from '../entities/index.js';
import { nameKey } from '../inputs.js';
import { afterCommit, writeProductUpserted } from './announce.js';

/** The sample catalog: fixed ids, so seeding twice (or from two replicas at once) adds nothing. */
export const SAMPLE_CATEGORIES = [
  { id: '6a1c0f3e-5b7d-4c21-9a10-000000000001', name: 'Electronics' },
  { id: '6a1c0f3e-5b7d-4c21-9a10-000000000002', name: 'Books' },
  { id: '6a1c0f3e-5b7d-4c21-9a10-000000000003', name: 'Home & Kitchen' },
] as const;

type SampleCategory = (typeof SAMPLE_CATEGORIES)[number]['name'];

export const SAMPLE_PRODUCTS: {
  id: string;
  name: string;
  description: string;
  price: string;
  stockQuantity: number;
  category: SampleCategory;
}[] = [
  {
    id: '7b2d1a4f-6c8e-4d32-8b21-000000000001',
    name: 'MacBook Pro',
    description: '14-inch laptop, M-series chip, 16 GB memory',
    price: '299000',
    stockQuantity: 10,
    category: 'Electronics',
  },
  {
    id: '7b2d1a4f-6c8e-4d32-8b21-000000000002',
    name: 'iPhone 15 Pro',
    description: 'Latest Apple smartphone',
    price: '149900',
    stockQuantity: 25,
    category: 'Electronics',
  },
  {
    id: '7b2d1a4f-6c8e-4d32-8b21-000000000003',
    name: 'Magic Mouse',
    description: 'Wireless, rechargeable multi-touch mouse',
    price: '12800',
    stockQuantity: 40,
    category: 'Electronics',
  },
  {
    id: '7b2d1a4f-6c8e-4d32-8b21-000000000004',
    name: 'Noise Cancelling Headphones',
    description: 'Over-ear, 30 hours of battery',
    price: '39800',
    stockQuantity: 15,
    category: 'Electronics',
  },
  {
    id: '7b2d1a4f-6c8e-4d32-8b21-000000000005',
    name: 'Designing Data-Intensive Applications',
    description: 'Martin Kleppmann',
    price: '5280',
    stockQuantity: 30,
    category: 'Books',
  },
  {
    id: '7b2d1a4f-6c8e-4d32-8b21-000000000006',
    name: 'Clean Architecture',
    description: 'Robert C. Martin',
    price: '3520',
    stockQuantity: 20,
    category: 'Books',
  },
  {
    id: '7b2d1a4f-6c8e-4d32-8b21-000000000007',
    name: 'The Pragmatic Programmer',
    description: '20th anniversary edition',
    price: '4180',
    stockQuantity: 3,
    category: 'Books',
  },
  {
    id: '7b2d1a4f-6c8e-4d32-8b21-000000000008',
    name: 'Pour-over Coffee Kettle',
    description: 'Gooseneck, 0.9 L',
    price: '4980.5',
    stockQuantity: 12,
    category: 'Home & Kitchen',
  },
];

/**
 * Seeds the sample catalog (what `npm start`'s embedded mode shows) when SEED_SAMPLE_CATALOG is
 * on. Idempotent: rows are inserted with fixed ids and `ON CONFLICT DO NOTHING`, so a second run
 * (or another replica) inserts nothing; a category name that already exists is reused. Sample
 * products an admin deleted come back at the next start while the setting is on. One transaction,
 * with `catalog.product.upserted` of each inserted product in the outbox.
 * Returns how many categories and products this call inserted.
 */
export async function seedSampleCatalog(deps: CatalogDeps): Promise<{ categories: number; products: number }> {
  const { categories, categoryIds, inserted } = await deps.em.fork().transactional((em) => seedIn(em));
  if (categories || inserted.length) {
    await afterCommit(deps, 'seedSampleCatalog', [
      () =>
        deps.cache.invalidate([
          catalogCacheKeys.categories(),
          ...[...categoryIds.values()].flatMap((id) => [catalogCacheKeys.category(id), catalogCacheKeys.categoryProducts(id)]),
          ...inserted.map((id) => catalogCacheKeys.product(id)),
        ]),
    ]);
  }
  return { categories, products: inserted.length };
}

async function seedIn(em: EntityManager) {
  const now = new Date();
  let categories = 0;
  const categoryIds = new Map<string, string>();
  for (const c of SAMPLE_CATEGORIES) {
    const key = nameKey(c.name);
    const result = await em
      .createQueryBuilder(Category)
      .insert({ id: c.id, name: c.name, nameKey: key, createdAt: now, updatedAt: now })
      .onConflict()
      .ignore()
      .execute('run');
    categories += (result as { affectedRows?: number }).affectedRows ?? 0;
    const row = await em.findOne(Category, { nameKey: key }, { refresh: true });
    if (row) categoryIds.set(c.name, row.id);
  }

  const inserted: string[] = [];
  for (const p of SAMPLE_PRODUCTS) {
    const { category, ...fields } = p;
    const result = await em
      .createQueryBuilder(Product)
      .insert({ ...fields, nameKey: nameKey(p.name), category: categoryIds.get(category) ?? null, createdAt: now, updatedAt: now })
      .onConflict()
      .ignore()
      .execute('run');
    if ((result as { affectedRows?: number }).affectedRows) inserted.push(p.id);
  }

  if (inserted.length) {
    for (const product of await em.find(Product, { id: { $in: inserted } })) writeProductUpserted(em, product);
  }
  return { categories, categoryIds, inserted };
}
