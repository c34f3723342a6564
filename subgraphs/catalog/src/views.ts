import { decimal } from '@app/platform';
import type { Category, Product } from './entities/index.js';

/** A product as the GraphQL layer reads it and the cache stores it: JSON-safe, price a canonical decimal string. */
export interface ProductView {
  id: string;
  name: string;
  description: string | null;
  price: string;
  stockQuantity: number;
  categoryId: string | null;
  /** List-order key (not in the schema): what a connection cursor encodes. */
  nameKey: string;
  createdAt: string;
  updatedAt: string;
}

export interface CategoryView {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

export function productView(p: Product): ProductView {
  return {
    id: p.id,
    name: p.name,
    description: p.description ?? null,
    price: decimal.normalize(p.price),
    stockQuantity: p.stockQuantity,
    categoryId: p.category ?? null,
    nameKey: p.nameKey,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

export function categoryView(c: Category): CategoryView {
  return { id: c.id, name: c.name, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt) };
}
