import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** A body composition measurement of a user. */
export const BodyMetric = defineEntity({
  name: 'BodyMetric',
  tableName: 'body_metrics',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    userId: p.uuid(),
    measuredAt: p.datetime(),
    weightKg: p.decimal('number').precision(7).scale(3),
    bodyFatPct: p.decimal('number').precision(6).scale(3).nullable(),
    note: p.string().length(1000).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  indexes: [{ properties: ['userId', 'measuredAt'] }],
});
export type BodyMetric = InferEntity<typeof BodyMetric>;
