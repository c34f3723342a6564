import type { UsersDeps } from '../deps.js';
import { Profile } from '../entities/index.js';

export const USERS_SERVICE = 'users';

/** This service's part of an erasure: the profile goes, caches are dropped, completion is announced. Idempotent. */
export async function eraseUserData(deps: UsersDeps, userId: string): Promise<void> {
  await deps.em.fork().nativeDelete(Profile, { userId });
  await deps.profiles.invalidate(userId);
  await deps.bus.publish(
    'users.user.erased',
    { userId, service: USERS_SERVICE, erasedAt: new Date().toISOString() },
    { msgId: `erased:${USERS_SERVICE}:${userId}` },
  );
}
