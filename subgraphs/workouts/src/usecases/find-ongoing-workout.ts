import type { WorkoutsDeps } from '../deps.js';
import type { Workout } from '../entities/index.js';
import { WorkoutRepository } from '../repositories/index.js';

/** WorkoutUsecase.FindOngoing (the LINE flow): the user's latest-started workout without endedAt, or null. */
export function findOngoingWorkout(deps: WorkoutsDeps, userId: string): Promise<Workout | null> {
  return new WorkoutRepository(deps.em.fork()).findOngoing(userId);
}
