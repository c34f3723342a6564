import { type FilterQuery, LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Product } from '../entities/index.js';
import type { ProductPosition } from '../inputs.js';

export interface NewProduct {
  name: string;
  nameKey: string;
  description: string | null;
  price: string;
  stockQuantity: number;
  categoryId: string | null;
}

export interface ProductChanges {
  name?: string;
  nameKey?: string;
  description?: string | null;
  price?: string;
  stockQuantity?: number;
  categoryId?: string | null;
}

/** List order of every product list: name key (collation "C"), then id. */
const LIST_ORDER = [{ nameKey: 'asc' }, { id: 'asc' }] as const;

const inCategory = (categoryId?: string): FilterQuery<Product> => (categoryId ? { category: categoryId } : {});

/** Strictly after a position in list order. */
const after = (p: ProductPosition): FilterQuery<Product> => ({
  $or: [{ nameKey: { $gt: p.nameKey } }, { nameKey: p.nameKey, id: { $gt: p.id } }],
});
/** At or before a position in list order. */
const atOrBefore = (p: ProductPosition): FilterQuery<Product> => ({
  $or: [{ nameKey: { $lt: p.nameKey } }, { nameKey: p.nameKey, id: { $lte: p.id } }],
});

export class ProductRepository {
  constructor(private readonly em: EntityManager) {}

  findByIds(ids: readonly string[]): Promise<Product[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.em.find(Product, { id: { $in: [...new Set(ids)] } });
  }

  /** The ids of each category's products, in list order (one query for all the categories). */
  async idsByCategory(categoryIds: readonly string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>(categoryIds.map((id) => [id, []]));
    if (categoryIds.length === 0) return result;
    const rows = await this.em.find(
      Product,
      { category: { $in: [...new Set(categoryIds)] } },
      { fields: ['id', 'category'], orderBy: [...LIST_ORDER] },
    );
    for (const row of rows) result.get(row.category!)?.push(row.id);
    return result;
  }

  list(f: { categoryId?: string; limit: number; offset: number }): Promise<Product[]> {
    return this.em.find(Product, inCategory(f.categoryId), { orderBy: [...LIST_ORDER], limit: f.limit, offset: f.offset });
  }

  /** Keyset page: up to `first + 1` products after `after` (the extra one says there is a next page). */
  pageAfter(f: { categoryId?: string; first: number; after?: ProductPosition }): Promise<Product[]> {
    const where: FilterQuery<Product> = f.after ? { $and: [inCategory(f.categoryId), after(f.after)] } : inCategory(f.categoryId);
    return this.em.find(Product, where, { orderBy: [...LIST_ORDER], limit: f.first + 1 });
  }

  count(categoryId?: string): Promise<number> {
    return this.em.count(Product, inCategory(categoryId));
  }

  /** Whether any product (of the filter) comes at or before the position. */
  async anyAtOrBefore(categoryId: string | undefined, position: ProductPosition): Promise<boolean> {
    const row = await this.em.findOne(Product, { $and: [inCategory(categoryId), atOrBefore(position)] }, { fields: ['id'] });
    return row !== null;
  }

  countInCategory(categoryId: string): Promise<number> {
    return this.em.count(Product, { category: categoryId });
  }

  async create(data: NewProduct): Promise<Product> {
    const { categoryId, ...rest } = data;
    const product = this.em.create(Product, { ...rest, category: categoryId });
    await this.em.flush();
    return product;
  }

  /** Row-locked for the rest of the transaction. */
  findForUpdate(id: string): Promise<Product | null> {
    return this.em.findOne(Product, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /**
   * Row-locks the products in id order (SELECT ... FOR UPDATE ORDER BY id): every transaction
   * that changes stock takes its locks in this one order, so concurrent orders never deadlock.
   */
  lockForStockChange(ids: readonly string[]): Promise<Product[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.em.find(Product, { id: { $in: [...new Set(ids)] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
  }

  applyChanges(product: Product, changes: ProductChanges): Product {
    if (changes.name !== undefined) product.name = changes.name;
    if (changes.nameKey !== undefined) product.nameKey = changes.nameKey;
    if (changes.description !== undefined) product.description = changes.description;
    if (changes.price !== undefined) product.price = changes.price;
    if (changes.stockQuantity !== undefined) product.stockQuantity = changes.stockQuantity;
    if (changes.categoryId !== undefined) product.category = changes.categoryId;
    return product;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.em.nativeDelete(Product, { id })) > 0;
  }
}
