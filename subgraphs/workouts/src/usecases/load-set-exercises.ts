import { NotFoundError } from '@app/platform';
import type { WorkoutsDeps } from '../deps.js';
import type { Exercise } from '../entities/index.js';
import { ExerciseRepository } from '../repositories/index.js';

export interface ExerciseKey {
  id: string;
  /** The set's owner: the exercise must be global or theirs. */
  userId: string;
}

/** The exercises of many sets in one query (the batch of `WorkoutSet.exercise`). */
export async function loadSetExercises(deps: WorkoutsDeps, keys: readonly ExerciseKey[]): Promise<(Exercise | Error)[]> {
  const found = await new ExerciseRepository(deps.em.fork()).findVisibleMany(keys);
  const byId = new Map(found.map((e) => [e.id, e]));
  return keys.map((k) => {
    const exercise = byId.get(k.id);
    return exercise && (exercise.ownerId === null || exercise.ownerId === k.userId) ? exercise : new NotFoundError('Exercise');
  });
}
