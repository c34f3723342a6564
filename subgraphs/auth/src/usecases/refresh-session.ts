import { parseInput, UnauthenticatedError } from '@app/platform';
import { LockMode } from '@mikro-orm/core';
import { z } from 'zod';
import type { AuthDeps } from '../deps.js';
import { RefreshToken, User } from '../entities/index.js';
import { type AuthPayload, hashRefreshToken, issueTokens } from '../tokens.js';
import { endSession, sessionEnded } from './end-session.js';

const refreshInput = z.object({ refreshToken: z.string().min(1, 'Refresh token is required').max(512, 'Refresh token is too long') });

class RefreshReuseDetected extends Error {
  constructor(
    readonly familyId: string,
    readonly userId: string,
  ) {
    super('refresh token reuse');
  }
}

/**
 * Rotation: the presented token is used up and the next one of its family issued, under a row
 * lock so two concurrent refreshes cannot both succeed. A used token presented again means it
 * was stolen (or the client is broken): the whole session ends (endSession), which logs out the
 * thief and the victim alike, access tokens included.
 */
export async function refreshSession(deps: AuthDeps, rawInput: unknown): Promise<AuthPayload> {
  const { refreshToken } = parseInput(refreshInput, rawInput);
  const em = deps.em.fork();
  let payload: AuthPayload;
  let familyId = '';
  try {
    payload = await em.transactional(async (tx) => {
      const token = await tx.findOne(RefreshToken, { tokenHash: hashRefreshToken(refreshToken) }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!token || token.revokedAt) throw new UnauthenticatedError('Invalid refresh token');
      if (token.usedAt) throw new RefreshReuseDetected(token.familyId, token.userId);
      if (token.expiresAt.getTime() <= Date.now()) throw new UnauthenticatedError('Refresh token expired');
      const user = await tx.findOne(User, { id: token.userId });
      if (!user) throw new UnauthenticatedError('Invalid refresh token');
      token.usedAt = new Date();
      familyId = token.familyId;
      return issueTokens(deps, tx, user, token.familyId);
    });
  } catch (err) {
    if (!(err instanceof RefreshReuseDetected)) throw err;
    await endSession(deps, err.familyId);
    deps.logger.warn({ userId: err.userId, familyId: err.familyId }, 'refresh token reuse detected; session ended');
    throw new UnauthenticatedError('Refresh token reuse detected; the session has been revoked');
  }
  // A logout racing this refresh may have revoked the family's rows before ours was committed
  // (its UPDATE does not see rows committed after it started). endSession sets its marker before
  // that UPDATE, so looking for the marker now catches every such race; the new pair is never
  // handed out. If the cache cannot answer, the pair is handed out: the rotation is committed,
  // and losing the new pair would make the client's next refresh look like a reuse.
  const ended = await sessionEnded(deps, familyId).catch((err: unknown) => {
    deps.logger.warn({ err: (err as Error).message, familyId }, 'could not check whether the session ended during a refresh');
    return false;
  });
  if (ended) throw new UnauthenticatedError('Invalid refresh token');
  return payload;
}
