import { Subjects, type Subscription } from '@app/events';
import type { WorkoutsDeps } from '../deps.js';
import { eraseUserData } from '../usecases/erase-user-data.js';

/** NATS -> use cases. The durable is shared by the workouts replicas (one of them handles each event). */
export async function subscribeHandlers(deps: WorkoutsDeps): Promise<Subscription[]> {
  return Promise.all([
    deps.bus.subscribe(Subjects.UsersUserDeleted, (e) => eraseUserData(deps, e.data.userId), { durable: 'workouts-user-deleted' }),
  ]);
}
