import type { PayloadOf } from './schemas.js';
import { Subjects } from './subjects.js';

export interface UserErasedMessage {
  subject: typeof Subjects.UsersUserErased;
  payload: PayloadOf<typeof Subjects.UsersUserErased>;
  /** One per service and user: a redelivered erasure confirms again under the same id (deduplicated). */
  msgId: string;
}

/** A service's confirmation that it erased a user (`users.user.erased`), for its outbox. */
export function userErasedMessage(service: string, userId: string, erasedAt: Date = new Date()): UserErasedMessage {
  return {
    subject: Subjects.UsersUserErased,
    payload: { userId, service, erasedAt: erasedAt.toISOString() },
    msgId: `erased:${service}:${userId}`,
  };
}
