import { Subjects } from '@app/events';
import { writeOutbox } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { UsersDeps } from '../deps.js';
import { DeletionRequest, OutboxMessage } from '../entities/index.js';
import { deletionLockKey } from './ensure-profile.js';

/**
 * Starts erasing the account everywhere: records the request (which services still owe an
 * erasure) and, in the same transaction, `users.user.deleted` in the outbox (published by the
 * relay once committed, even if the bus is down right now). Asking again while a request is
 * pending returns that request.
 */
export async function deleteMe(deps: UsersDeps, userId: string): Promise<DeletionRequest> {
  const { request, created } = await deps.em.fork().transactional(async (tx) => {
    // One request per user even when deleteMe arrives twice at once (on any replica): the
    // transaction-scoped lock makes the second caller wait, then find the first one's request.
    await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [deletionLockKey(userId)]);
    const pending = await tx.findOne(DeletionRequest, { userId, completedAt: null });
    if (pending) return { request: pending, created: false };
    const fresh = tx.create(DeletionRequest, { userId, pendingServices: [...deps.config.DELETION_PARTICIPANTS], attempts: 1 });
    writeDeletion(tx, fresh);
    return { request: fresh, created: true };
  });
  if (created) deps.nudgeOutbox();
  return request;
}

/** `users.user.deleted` for the request, in the outbox (inside the caller's transaction or flush). */
export function writeDeletion(tx: EntityManager, request: DeletionRequest) {
  // The attempt number is in the message id so a deliberate re-publish is not dropped as a duplicate.
  writeOutbox(
    tx,
    Subjects.UsersUserDeleted,
    { userId: request.userId, requestedAt: request.requestedAt.toISOString() },
    { msgId: deletionMsgId(request, request.attempts) },
  );
}

const deletionMsgId = (request: DeletionRequest, attempt: number) => `deletion:${request.id}:${attempt}`;

/** Publishes again the deletions some service has not confirmed for a while (a lost message, a service that was down). */
export async function retryStalledDeletions(deps: UsersDeps): Promise<number> {
  const em = deps.em.fork();
  const stalled = await em.find(DeletionRequest, {
    completedAt: null,
    requestedAt: { $lt: new Date(Date.now() - deps.config.DELETION_RETRY_AFTER * 1000) },
  });
  let retried = 0;
  for (const request of stalled) {
    // The previous attempt is still waiting in the outbox (the bus is down): another would only pile up.
    if (await em.count(OutboxMessage, { msgId: deletionMsgId(request, request.attempts), sentAt: null })) continue;
    request.attempts += 1;
    writeDeletion(em, request);
    await em.flush(); // the new attempt number and its message, together
    retried++;
  }
  if (retried) deps.nudgeOutbox();
  return stalled.length;
}
