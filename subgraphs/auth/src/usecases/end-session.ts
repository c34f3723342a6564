import { cacheKeys, revoke } from '@app/platform';
import type { AuthDeps } from '../deps.js';
import { RefreshToken } from '../entities/index.js';

/** Outlives every access token of the session: the longest life one can have left, plus the verifiers' clock tolerance and a margin. */
export const sessionMarkerTtl = (deps: AuthDeps) => deps.config.ACCESS_TOKEN_TTL + 60;

/**
 * Ends a login session (one refresh-token family, the `sid` of its access tokens), as logout and
 * refresh-token reuse do: first the `revoked-session:{sid}` marker that makes every verifier
 * (gateway and subgraphs) refuse the session's access tokens (`revoke`: in the cache, and
 * broadcast to their in-memory lists), then its refresh tokens, then its
 * session record. The marker goes first so that once this returns no token of the session works,
 * even if a refresh was in flight (refreshSession looks for the marker after committing). When
 * the cache cannot be written the refresh tokens are revoked all the same, and the error is
 * thrown: the access tokens still work, and the caller must hear it.
 */
export async function endSession(deps: AuthDeps, familyId: string): Promise<void> {
  const markerFailed = await revoke(deps, {
    kind: 'session',
    id: familyId,
    revokedAt: Math.floor(Date.now() / 1000),
    ttlSeconds: sessionMarkerTtl(deps),
  }).then(
    () => undefined,
    (err: unknown) => err,
  );
  await deps.em.fork().nativeUpdate(RefreshToken, { familyId, revokedAt: null }, { revokedAt: new Date() });
  if (markerFailed) throw markerFailed;
  await deps.cache.del(cacheKeys.session(familyId));
}

/** Whether the session was ended (see endSession). */
export async function sessionEnded(deps: AuthDeps, familyId: string): Promise<boolean> {
  return (await deps.cache.get(cacheKeys.revokedSession(familyId))) !== null;
}
