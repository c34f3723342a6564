import type { WorkoutsDeps } from '../deps.js';
import type { WorkoutSet } from '../entities/index.js';
import { WorkoutSetRepository } from '../repositories/index.js';

export interface WorkoutKey {
  workoutId: string;
  /** The workout's owner (already checked by whoever loaded the workout). */
  userId: string;
}

/** The sets of many workouts in one query, each list ordered by setIndex (the batch of `Workout.sets`). */
export async function loadWorkoutSets(deps: WorkoutsDeps, keys: readonly WorkoutKey[]): Promise<WorkoutSet[][]> {
  const sets = await new WorkoutSetRepository(deps.em.fork()).listSetsByWorkouts(keys);
  const byWorkout = new Map<string, WorkoutSet[]>();
  for (const set of sets) {
    const key = `${set.userId}:${set.workout}`;
    const list = byWorkout.get(key);
    if (list) list.push(set);
    else byWorkout.set(key, [set]);
  }
  return keys.map((k) => byWorkout.get(`${k.userId}:${k.workoutId}`) ?? []);
}
