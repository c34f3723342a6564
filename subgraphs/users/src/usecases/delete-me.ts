import type { UsersDeps } from '../deps.js';
import { DeletionRequest } from '../entities/index.js';
import { deletionLockKey } from './ensure-profile.js';

/**
 * Starts erasing the account everywhere: records the request (which services still owe an
 * erasure), then publishes `users.user.deleted` after the commit. Asking again while a request
 * is pending returns that request.
 */
export async function deleteMe(deps: UsersDeps, userId: string): Promise<DeletionRequest> {
  const { request, created } = await deps.em.fork().transactional(async (tx) => {
    // One request per user even when deleteMe arrives twice at once (on any replica): the
    // transaction-scoped lock makes the second caller wait, then find the first one's request.
    await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [deletionLockKey(userId)]);
    const pending = await tx.findOne(DeletionRequest, { userId, completedAt: null });
    if (pending) return { request: pending, created: false };
    const fresh = tx.create(DeletionRequest, { userId, pendingServices: [...deps.config.DELETION_PARTICIPANTS], attempts: 1 });
    return { request: fresh, created: true };
  });
  if (created) await publishDeletion(deps, request);
  return request;
}

export function publishDeletion(deps: UsersDeps, request: DeletionRequest) {
  // The attempt number is in the message id so a deliberate re-publish is not dropped as a duplicate.
  return deps.bus.publish(
    'users.user.deleted',
    { userId: request.userId, requestedAt: request.requestedAt.toISOString() },
    { msgId: `deletion:${request.id}:${request.attempts}` },
  );
}

/** Publishes again the deletions some service has not confirmed for a while (a lost message, a service that was down). */
export async function retryStalledDeletions(deps: UsersDeps): Promise<number> {
  const em = deps.em.fork();
  const stalled = await em.find(DeletionRequest, {
    completedAt: null,
    requestedAt: { $lt: new Date(Date.now() - deps.config.DELETION_RETRY_AFTER * 1000) },
  });
  for (const request of stalled) {
    request.attempts += 1;
    await em.flush();
    await publishDeletion(deps, request);
  }
  return stalled.length;
}
