import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

export const ReservationState = ['reserved', 'released', 'committed'] as const;
export type ReservationState = (typeof ReservationState)[number];

/**
 * One line of a reservation: `quantity` units of a product taken from stock for an order.
 * No foreign key to the product: a product deleted later keeps its history (a release skips it).
 */
export const InventoryReservation = defineEntity({
  name: 'InventoryReservation',
  tableName: 'inventory_reservations',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    orderId: p.uuid(),
    productId: p.uuid().index(),
    quantity: p.integer(),
    state: p.string().length(16),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  uniques: [{ properties: ['orderId', 'productId'] }],
  checks: [
    { name: 'inventory_reservations_quantity_check', expression: 'quantity > 0' },
    { name: 'inventory_reservations_state_check', expression: "state in ('reserved', 'released', 'committed')" },
  ],
});
export type InventoryReservation = InferEntity<typeof InventoryReservation>;
