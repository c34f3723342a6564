import { cacheKeys, cacheTtl } from '@app/platform';
import type { AuthDeps } from '../deps.js';

/**
 * Starts signing with a new key and publishes the new JWKS to the shared cache. Verifiers look
 * there first when they meet an unknown kid, so tokens signed with the new key are accepted
 * everywhere at once, without waiting out their rate-limited refetch from this service.
 */
export async function rotateSigningKey(deps: AuthDeps): Promise<string> {
  const kid = await deps.keys.rotate();
  try {
    await deps.cache.set(cacheKeys.jwks(), JSON.stringify(await deps.keys.publicJwks()), cacheTtl.jwks);
  } catch (err) {
    // Not fatal: verifiers still find the key by refetching the JWKS, only later.
    deps.logger.warn({ err: (err as Error).message }, 'could not publish the rotated JWKS to the cache');
  }
  deps.logger.info({ kid }, 'signing key rotated');
  return kid;
}
