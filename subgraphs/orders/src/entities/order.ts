import { ORDER_STATUSES } from '@app/events';
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** An order of a user. `version` grows by one with every status or saga transition (live updates carry it). */
export const Order = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    /** The account's id, issued by the auth service. */
    userId: p.uuid(),
    status: p.string().length(16),
    /** Exact decimal (Postgres numeric, read back as a string). */
    totalAmount: p.decimal().precision(18).scale(4),
    version: p.integer().default(1),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [{ properties: ['userId', 'createdAt'] }],
  checks: [{ name: 'orders_status_check', expression: `status in (${ORDER_STATUSES.map((s) => `'${s}'`).join(', ')})` }],
});
export type Order = InferEntity<typeof Order>;
