import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * One refresh token. Tokens of one login share a `familyId`; each refresh uses up the presented
 * token and issues the next in the family. Presenting a used token again means it leaked, so
 * the whole family is revoked. Only a SHA-256 of the token is stored.
 */
export const RefreshToken = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    familyId: p.uuid().index(),
    userId: p.uuid().index(),
    tokenHash: p.string().length(64).unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
export type RefreshToken = InferEntity<typeof RefreshToken>;
