import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { Category } from './category.js';

/** A product for sale. `stockQuantity` is what can still be reserved; the database refuses a negative one. */
export const Product = defineEntity({
  name: 'Product',
  tableName: 'products',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    name: p.string().length(200),
    /** `name` normalised like a category's: the order of every product list (then id). */
    nameKey: p.string().length(200).collation('C'),
    description: p.string().length(5000).nullable(),
    /** Exact decimal, read as Postgres' text ("149900.0000") and normalised by the views. */
    price: p.decimal('string').precision(18).scale(4),
    stockQuantity: p.integer(),
    /**
     * Counts the product's stock changes, each made under its row lock: the stock events carry it,
     * so a listener that hears them out of order (two replicas, an admin's change and a
     * reservation a moment apart, a copy sent again) keeps the newest.
     */
    stockVersion: p.bigint('number').default(0),
    /** The category's id; a category that still has products cannot be deleted (the foreign key agrees). */
    category: p.manyToOne(Category).mapToPk().nullable().index().deleteRule('no action'),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  indexes: [{ properties: ['nameKey', 'id'] }],
  checks: [
    { name: 'products_stock_quantity_check', expression: 'stock_quantity >= 0' },
    { name: 'products_price_check', expression: 'price > 0' },
  ],
});
export type Product = InferEntity<typeof Product>;
