import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** Bucketed levels of a user's Facebook activity over a window: never names, content or counts. */
export const AggregateSignal = defineEntity({
  name: 'AggregateSignal',
  tableName: 'aggregate_signals',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    userId: p.uuid(),
    windowDays: p.integer(),
    activityVolume: p.string().length(16),
    reactionCount: p.string().length(16),
    commentCount: p.string().length(16),
    postCount: p.string().length(16),
    collectedAt: p.datetime(),
    validUntil: p.datetime(),
  },
  uniques: [{ properties: ['userId', 'windowDays'] }],
});
export type AggregateSignal = InferEntity<typeof AggregateSignal>;
