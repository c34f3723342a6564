import type { RelationshipMapDeps } from '../deps.js';
import { deleteEverythingOf } from './delete-all-data.js';

export const RELATIONSHIP_MAP_SERVICE = 'relationship-map';

/**
 * GDPR erasure (on `users.user.deleted`): every row of the user goes in one transaction, then the
 * users service hears that this service is done. Idempotent: a redelivery deletes nothing more
 * and confirms again (same message id).
 */
export async function eraseUserData(deps: RelationshipMapDeps, userId: string): Promise<void> {
  await deps.em.fork().transactional((tx) => deleteEverythingOf(tx, userId));
  await deps.bus.publish(
    'users.user.erased',
    { userId, service: RELATIONSHIP_MAP_SERVICE, erasedAt: new Date().toISOString() },
    { msgId: `erased:${RELATIONSHIP_MAP_SERVICE}:${userId}` },
  );
}
