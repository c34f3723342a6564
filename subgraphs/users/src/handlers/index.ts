import { Subjects, type Subscription } from '@app/events';
import type { UsersDeps } from '../deps.js';
import { eraseUserData } from '../usecases/erase-user-data.js';
import { recordErasure } from '../usecases/record-erasure.js';
import { recordLogin } from '../usecases/record-login.js';
import { registerProfile } from '../usecases/register-profile.js';

/** NATS -> use cases. Each durable is shared by the users replicas (one of them handles each event). */
export async function subscribeHandlers(deps: UsersDeps): Promise<Subscription[]> {
  return Promise.all([
    deps.bus.subscribe(Subjects.AuthUserRegistered, (e) => registerProfile(deps, e.data), {
      durable: 'users-user-registered',
    }),
    deps.bus.subscribe(Subjects.AuthUserLoggedIn, (e) => recordLogin(deps, e.data.userId, new Date(e.data.at)), {
      durable: 'users-user-logged-in',
    }),
    deps.bus.subscribe(Subjects.UsersUserDeleted, (e) => eraseUserData(deps, e.data.userId), { durable: 'users-user-deleted' }),
    deps.bus.subscribe(Subjects.UsersUserErased, (e) => recordErasure(deps, e.data.userId, e.data.service, new Date(e.data.erasedAt)), {
      durable: 'users-deletion-progress',
    }),
  ]);
}
