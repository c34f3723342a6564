import { LockMode } from '@mikro-orm/core';
import type { UsersDeps } from '../deps.js';
import { DeletionRequest } from '../entities/index.js';

/** `users.user.erased`: ticks the service off every open request of that user; the last one completes it. */
export async function recordErasure(deps: UsersDeps, userId: string, service: string, erasedAt: Date): Promise<void> {
  await deps.em.fork().transactional(async (tx) => {
    // Row locks: two services confirming at once must not overwrite each other's tick.
    const open = await tx.find(DeletionRequest, { userId, completedAt: null }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    for (const request of open) {
      if (!request.pendingServices.includes(service)) continue;
      request.pendingServices = request.pendingServices.filter((s) => s !== service);
      if (request.pendingServices.length === 0) request.completedAt = erasedAt;
    }
  });
}
