import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** A product category. Names are unique case-insensitively (`nameKey`). */
export const Category = defineEntity({
  name: 'Category',
  tableName: 'categories',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    name: p.string().length(200),
    /** `name` normalised (NFKC, trimmed, inner spaces collapsed, lower case): uniqueness and order. Collation "C" for one order everywhere. */
    nameKey: p.string().length(200).collation('C').unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Category = InferEntity<typeof Category>;
