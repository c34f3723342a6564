import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * An account erasure (`users.user.deleted`): kept after completion so the erased user can place
 * no new order, and a redelivered request is confirmed again.
 */
export const Erasure = defineEntity({
  name: 'Erasure',
  tableName: 'erasures',
  properties: {
    userId: p.uuid().primary(),
    requestedAt: p.datetime(),
    completedAt: p.datetime().nullable(),
  },
});
export type Erasure = InferEntity<typeof Erasure>;
