import { isUuid } from '@app/platform';
import type { UsersDeps } from '../deps.js';
import { DeletionRequest } from '../entities/index.js';
import { type DeletionStatusView, toDeletionStatusView } from './deletion-status-view.js';

/** A deletion request's progress by its id; `null` for an unknown id (or one that is not a UUID). */
export async function getDeletionStatus(deps: UsersDeps, id: string): Promise<DeletionStatusView | null> {
  if (!isUuid(id)) return null;
  const request = await deps.em.fork().findOne(DeletionRequest, { id });
  return request ? toDeletionStatusView(request) : null;
}
