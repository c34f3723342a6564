import { cacheKeys, parseInput, UnauthenticatedError } from '@app/platform';
import { LockMode } from '@mikro-orm/core';
import { z } from 'zod';
import type { AuthDeps } from '../deps.js';
import { RefreshToken, User } from '../entities/index.js';
import { hashRefreshToken, issueTokens, type AuthPayload } from '../tokens.js';

const refreshInput = z.object({ refreshToken: z.string().min(1, 'Refresh token is required').max(512, 'Refresh token is too long') });

class RefreshReuseDetected extends Error {
  constructor(readonly familyId: string, readonly userId: string) {
    super('refresh token reuse');
  }
}

/**
 * Rotation: the presented token is used up and the next one of its family issued, under a row
 * lock so two concurrent refreshes cannot both succeed. A used token presented again means it
 * was stolen (or the client is broken): the whole family is revoked, which logs out the thief
 * and the victim alike.
 */
export async function refreshSession(deps: AuthDeps, rawInput: unknown): Promise<AuthPayload> {
  const { refreshToken } = parseInput(refreshInput, rawInput);
  const em = deps.em.fork();
  try {
    return await em.transactional(async (tx) => {
      const token = await tx.findOne(RefreshToken, { tokenHash: hashRefreshToken(refreshToken) }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!token || token.revokedAt) throw new UnauthenticatedError('Invalid refresh token');
      if (token.usedAt) throw new RefreshReuseDetected(token.familyId, token.userId);
      if (token.expiresAt.getTime() <= Date.now()) throw new UnauthenticatedError('Refresh token expired');
      const user = await tx.findOne(User, { id: token.userId });
      if (!user) throw new UnauthenticatedError('Invalid refresh token');
      token.usedAt = new Date();
      return issueTokens(deps, tx, user, token.familyId);
    });
  } catch (err) {
    if (!(err instanceof RefreshReuseDetected)) throw err;
    await revokeFamily(deps, err.familyId);
    deps.logger.warn({ userId: err.userId, familyId: err.familyId }, 'refresh token reuse detected; session revoked');
    throw new UnauthenticatedError('Refresh token reuse detected; the session has been revoked');
  }
}

export async function revokeFamily(deps: AuthDeps, familyId: string): Promise<void> {
  await deps.em.fork().nativeUpdate(RefreshToken, { familyId, revokedAt: null }, { revokedAt: new Date() });
  await deps.cache.del(cacheKeys.session(familyId));
}
