import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** One training session of a user. Without `endedAt` it is still going on. */
export const Workout = defineEntity({
  name: 'Workout',
  tableName: 'workouts',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    /** The account's id, issued by the auth service. */
    userId: p.uuid(),
    startedAt: p.datetime(),
    endedAt: p.datetime().nullable(),
    note: p.string().length(1000).nullable(),
    /** The setIndex the next added set gets: sets are numbered 0, 1, 2, ... and a number is never reused. */
    nextSetIndex: p.integer().default(0),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  indexes: [{ properties: ['userId', 'startedAt'] }],
});
export type Workout = InferEntity<typeof Workout>;
