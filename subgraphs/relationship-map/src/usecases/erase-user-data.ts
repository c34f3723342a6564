import { userErasedMessage } from '@app/events';
import { writeOutbox } from '@app/platform';
import type { RelationshipMapDeps } from '../deps.js';
import { deleteEverythingOf } from './delete-all-data.js';

export const RELATIONSHIP_MAP_SERVICE = 'relationship-map';

/**
 * GDPR erasure (on `users.user.deleted`): every row of the user goes in one transaction, with
 * `users.user.erased` in the outbox: the users service hears that this service is done once it
 * has committed. Idempotent: a redelivery deletes nothing more and confirms again (same message id).
 */
export async function eraseUserData(deps: RelationshipMapDeps, userId: string): Promise<void> {
  await deps.em.fork().transactional(async (tx) => {
    await deleteEverythingOf(tx, userId);
    const erased = userErasedMessage(RELATIONSHIP_MAP_SERVICE, userId);
    writeOutbox(tx, erased.subject, erased.payload, { msgId: erased.msgId });
  });
  deps.nudgeOutbox();
}
