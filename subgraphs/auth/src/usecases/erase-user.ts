import { userErasedMessage } from '@app/events';
import { cacheKeys, revoke, writeOutbox } from '@app/platform';
import type { AuthDeps } from '../deps.js';
import { RefreshToken, User } from '../entities/index.js';

export const AUTH_SERVICE = 'auth';

/**
 * GDPR erasure (on `users.user.deleted`): the account and its refresh tokens go, every access
 * token already issued is refused from now on, and the users service hears that auth is done
 * (`users.user.erased`, written to the outbox in the deletion's transaction). A revocation that
 * fails (the cache down: every token check fails closed meanwhile) throws, and the redelivered
 * event revokes again. Running it twice changes nothing the second time.
 */
export async function eraseUser(deps: AuthDeps, userId: string): Promise<void> {
  const em = deps.em.fork();
  const families = await em.find(RefreshToken, { userId }, { fields: ['familyId'] });
  await em.transactional(async (tx) => {
    await tx.nativeDelete(RefreshToken, { userId });
    await tx.nativeDelete(User, { id: userId });
    const erased = userErasedMessage(AUTH_SERVICE, userId);
    writeOutbox(tx, erased.subject, erased.payload, { msgId: erased.msgId });
  });
  // Every replica forgets what the User type showed of it. Throws when the shared cache cannot be
  // reached: the event is redelivered and the erasure runs again (nothing left to delete).
  await deps.accounts.invalidate(userId);
  // Revoked after the deletion (no login can slip in behind the revocation), and before the
  // relay is nudged, so the erasure is announced once the tokens are refused (bar a poll in between).
  await revoke(deps, { kind: 'user', id: userId, revokedAt: Math.floor(Date.now() / 1000), ttlSeconds: deps.config.ACCESS_TOKEN_TTL + 60 });
  const sessionKeys = [...new Set(families.map((f) => cacheKeys.session(f.familyId)))];
  if (sessionKeys.length) await deps.cache.del(...sessionKeys);
  deps.nudgeOutbox();
}
