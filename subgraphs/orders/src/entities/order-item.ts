import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { Order } from './order.js';

/** One line of an order; name and unit price are snapshots of the catalog's product at order time. */
export const OrderItem = defineEntity({
  name: 'OrderItem',
  tableName: 'order_items',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    /** The order's id (deleting the order deletes its items, in the database too). */
    order: p.manyToOne(Order).mapToPk().deleteRule('cascade'),
    /** 0, 1, 2, ... in the order the lines were given. */
    position: p.integer(),
    productId: p.uuid(),
    productName: p.text(),
    quantity: p.integer(),
    unitPrice: p.decimal().precision(18).scale(4),
    subtotal: p.decimal().precision(18).scale(4),
  },
  uniques: [{ properties: ['order', 'position'] }],
  checks: [{ name: 'order_items_quantity_check', expression: 'quantity > 0' }],
});
export type OrderItem = InferEntity<typeof OrderItem>;
