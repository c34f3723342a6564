import { userErasedMessage } from '@app/events';
import { writeOutbox } from '@app/platform';
import type { WorkoutsDeps } from '../deps.js';
import { repositories } from '../repositories/index.js';

export const WORKOUTS_SERVICE = 'workouts';

/**
 * GDPR erasure (on `users.user.deleted`): every workout, set, own exercise and body metric of
 * the user goes in one transaction, with `users.user.erased` in the outbox: the users service
 * hears that workouts is done once it has committed.
 * Idempotent: a redelivered event deletes nothing more and confirms again (same message id).
 */
export async function eraseUserData(deps: WorkoutsDeps, userId: string): Promise<void> {
  await deps.em.fork().transactional(async (tx) => {
    const repos = repositories(tx);
    await repos.sets.deleteAllForUser(userId);
    await repos.workouts.deleteAllForUser(userId);
    await repos.exercises.deleteAllOwnedBy(userId);
    await repos.bodyMetrics.deleteAllForUser(userId);
    const erased = userErasedMessage(WORKOUTS_SERVICE, userId);
    writeOutbox(tx, erased.subject, erased.payload, { msgId: erased.msgId });
  });
  deps.nudgeOutbox();
}
