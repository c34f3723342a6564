import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * The orders service's read-model of the catalog, fed by `catalog.product.upserted` /
 * `catalog.product.deleted`: what createOrder snapshots names and prices from. A deleted product
 * stays as a tombstone (`deletedAt`) so an older upsert arriving late cannot bring it back.
 */
export const Product = defineEntity({
  name: 'Product',
  tableName: 'products',
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    price: p.decimal().precision(18).scale(4),
    categoryId: p.uuid().nullable(),
    /** The catalog's updatedAt (or deletedAt) of the version held: older events are ignored. */
    sourceUpdatedAt: p.datetime(),
    deletedAt: p.datetime().nullable(),
  },
});
export type Product = InferEntity<typeof Product>;
