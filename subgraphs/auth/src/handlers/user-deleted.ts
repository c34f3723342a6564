import { Subjects } from '@app/events';
import type { AuthDeps } from '../deps.js';
import { eraseUser } from '../usecases/erase-user.js';

/** `users.user.deleted` -> erase the account. Competing consumers: one auth replica handles each event. */
export function subscribeUserDeleted(deps: AuthDeps) {
  return deps.bus.subscribe(Subjects.UsersUserDeleted, (event) => eraseUser(deps, event.data.userId), { durable: 'auth-user-deleted' });
}
