import { cacheKeys, type AuthContext } from '@app/platform';
import type { AuthDeps } from '../deps.js';
import { RefreshToken } from '../entities/index.js';
import { hashRefreshToken } from '../tokens.js';
import { revokeFamily } from './refresh-session.js';

/**
 * Blacklists the access token's `jti` for the rest of its life (every verifier checks the
 * blacklist) and revokes the session's refresh tokens, plus the family of a refresh token
 * passed explicitly when it belongs to the same user.
 */
export async function logout(deps: AuthDeps, auth: AuthContext, refreshToken?: string | null): Promise<boolean> {
  const remaining = auth.expiresAt - Math.floor(Date.now() / 1000);
  if (remaining > 0) await deps.cache.set(cacheKeys.blacklist(auth.jti), '1', remaining + 5);

  const families = new Set<string>();
  if (auth.sessionId) families.add(auth.sessionId);
  if (refreshToken) {
    const token = await deps.em.fork().findOne(RefreshToken, { tokenHash: hashRefreshToken(refreshToken) });
    if (token && token.userId === auth.userId) families.add(token.familyId);
  }
  for (const familyId of families) await revokeFamily(deps, familyId);
  return true;
}
