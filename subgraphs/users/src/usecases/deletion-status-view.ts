import type { DeletionRequest } from '../entities/index.js';

/** What the API shows of a deletion request (`DeletionStatus` in the SDL). */
export interface DeletionStatusView {
  id: string;
  userId: string;
  requestedAt: Date;
  completedAt: Date | null;
  pendingServices: string[];
}

export const toDeletionStatusView = (request: DeletionRequest): DeletionStatusView => ({
  id: request.id,
  userId: request.userId,
  requestedAt: request.requestedAt,
  completedAt: request.completedAt ?? null,
  pendingServices: request.pendingServices,
});
