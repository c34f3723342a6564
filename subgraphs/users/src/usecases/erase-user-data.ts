import { userErasedMessage } from '@app/events';
import { writeOutbox } from '@app/platform';
import type { UsersDeps } from '../deps.js';
import { Profile } from '../entities/index.js';

export const USERS_SERVICE = 'users';

/**
 * This service's part of an erasure: the profile goes (with `users.user.erased` in the outbox, in
 * the same transaction), caches are dropped, then the relay is nudged. Idempotent.
 */
export async function eraseUserData(deps: UsersDeps, userId: string): Promise<void> {
  await deps.em.fork().transactional(async (tx) => {
    await tx.nativeDelete(Profile, { userId });
    const erased = userErasedMessage(USERS_SERVICE, userId);
    writeOutbox(tx, erased.subject, erased.payload, { msgId: erased.msgId });
  });
  await deps.profiles.invalidate(userId);
  deps.nudgeOutbox();
}
