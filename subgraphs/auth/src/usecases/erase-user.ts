import { cacheKeys } from '@app/platform';
import type { AuthDeps } from '../deps.js';
import { RefreshToken, User } from '../entities/index.js';

export const AUTH_SERVICE = 'auth';

/**
 * GDPR erasure (on `users.user.deleted`): the account and its refresh tokens go, every access
 * token already issued is refused from now on, and the users service hears that auth is done.
 * Running it twice changes nothing the second time.
 */
export async function eraseUser(deps: AuthDeps, userId: string): Promise<void> {
  const em = deps.em.fork();
  const families = await em.find(RefreshToken, { userId }, { fields: ['familyId'] });
  await em.transactional(async (tx) => {
    await tx.nativeDelete(RefreshToken, { userId });
    await tx.nativeDelete(User, { id: userId });
  });
  await deps.cache.set(cacheKeys.revokedUser(userId), String(Math.floor(Date.now() / 1000)), deps.config.ACCESS_TOKEN_TTL + 60);
  const sessionKeys = [...new Set(families.map((f) => cacheKeys.session(f.familyId)))];
  if (sessionKeys.length) await deps.cache.del(...sessionKeys);
  await deps.bus.publish(
    'users.user.erased',
    { userId, service: AUTH_SERVICE, erasedAt: new Date().toISOString() },
    { msgId: `erased:${AUTH_SERVICE}:${userId}` },
  );
}
