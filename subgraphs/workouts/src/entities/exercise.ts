import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** An exercise: global (ownerId null, seeded, read-only for users) or a user's own. */
export const Exercise = defineEntity({
  name: 'Exercise',
  tableName: 'exercises',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    /** Null for a global exercise; otherwise the user who created it. */
    ownerId: p.uuid().nullable(),
    name: p.string().length(100),
    /**
     * `name` normalised (NFKC, trimmed, inner spaces collapsed, lower case): what uniqueness,
     * search and ordering use. Collation "C" so the order is the same on every database.
     */
    nameKey: p.string().length(100).collation('C'),
    type: p.string().length(50),
    primaryMuscle: p.string().length(50).nullable(),
    isActive: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  // A user's own names are unique (case-insensitively) among their own; the use cases also keep
  // them apart from the global names. Globals have a null owner, so this does not cover them.
  uniques: [{ properties: ['ownerId', 'nameKey'] }],
  indexes: [{ properties: ['nameKey'] }],
});
export type Exercise = InferEntity<typeof Exercise>;
