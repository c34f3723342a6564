import { type AuthContext, revoke } from '@app/platform';
import type { AuthDeps } from '../deps.js';
import { RefreshToken } from '../entities/index.js';
import { hashRefreshToken } from '../tokens.js';
import { endSession } from './end-session.js';

/**
 * Blacklists the access token's `jti` for the rest of its life (seed 001; `revoke` also tells
 * every verifier's in-memory list) and ends its session:
 * every access token issued in it (earlier ones included) is refused everywhere from now on, and
 * its refresh tokens are revoked. A refresh token passed explicitly ends its session too when it
 * belongs to the same user.
 */
export async function logout(deps: AuthDeps, auth: AuthContext, refreshToken?: string | null): Promise<boolean> {
  const families = new Set<string>();
  if (auth.sessionId) families.add(auth.sessionId);
  if (refreshToken) {
    const token = await deps.em.fork().findOne(RefreshToken, { tokenHash: hashRefreshToken(refreshToken) });
    if (token && token.userId === auth.userId) families.add(token.familyId);
  }
  // Every session's refresh tokens are revoked even if the cache fails on one (endSession), and
  // the failure is reported after: a logout that did not take must not look like one that did.
  let failure: unknown;
  for (const familyId of families) await endSession(deps, familyId).catch((err: unknown) => (failure ??= err));

  const now = Math.floor(Date.now() / 1000);
  const remaining = auth.expiresAt - now;
  if (remaining > 0) await revoke(deps, { kind: 'token', id: auth.jti, revokedAt: now, ttlSeconds: remaining + 5 });
  if (failure) throw failure;
  return true;
}
