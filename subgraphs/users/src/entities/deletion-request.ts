import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** One `deleteMe`: which services still have to confirm they erased the user. */
export const DeletionRequest = defineEntity({
  name: 'DeletionRequest',
  tableName: 'deletion_requests',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    userId: p.uuid().index(),
    requestedAt: p.datetime().onCreate(() => new Date()),
    completedAt: p.datetime().nullable(),
    pendingServices: p.json<string[]>(),
    /** Times `users.user.deleted` was published; a request stuck pending is published again. */
    attempts: p.integer().default(1),
  },
});
export type DeletionRequest = InferEntity<typeof DeletionRequest>;
