import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    username: p.string().length(32),
    /** Lower-cased username: uniqueness and login ignore case. */
    usernameKey: p.string().length(32).unique(),
    /** Null for LINE accounts whose ID token carried no email (or one another account already has). */
    email: p.string().length(254).nullable().unique(),
    /** Null for accounts that only sign in with LINE. */
    passwordHash: p.text().nullable(),
    lineUserId: p.string().length(64).nullable().unique(),
    /** Space-separated OAuth-style scopes carried into access tokens. */
    scopes: p.string().length(255).default('user'),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    lastLoginAt: p.datetime().nullable(),
  },
});
export type User = InferEntity<typeof User>;
