import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

export const InventoryOrderState = ['reserved', 'failed', 'released', 'committed'] as const;
export type InventoryOrderState = (typeof InventoryOrderState)[number];

/**
 * What inventory knows about one order (the saga's business key): the outcome of its reserve
 * (`reserved` or `failed`), then `committed` or `released`. One row per order makes every
 * command idempotent per order, whatever its message id; a release of an order never reserved
 * leaves a `released` row, so a reserve arriving after it reserves nothing.
 */
export const InventoryOrder = defineEntity({
  name: 'InventoryOrder',
  tableName: 'inventory_orders',
  properties: {
    orderId: p.uuid().primary(),
    sagaId: p.uuid(),
    state: p.string().length(16),
    /** Why the reservation failed (human readable), for `failed`. */
    reason: p.string().length(2000).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  checks: [{ name: 'inventory_orders_state_check', expression: "state in ('reserved', 'failed', 'released', 'committed')" }],
});
export type InventoryOrder = InferEntity<typeof InventoryOrder>;
