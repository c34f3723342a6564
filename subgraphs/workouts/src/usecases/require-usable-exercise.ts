import { NotFoundError } from '@app/platform';
import type { Exercise } from '../entities/index.js';
import { invalid } from '../inputs.js';
import type { ExerciseRepository } from '../repositories/index.js';

/** A set needs an exercise the user can see (global or own) that is active. */
export async function requireUsableExercise(exercises: ExerciseRepository, userId: string, exerciseId: string): Promise<Exercise> {
  const exercise = await exercises.findVisible(userId, exerciseId);
  if (!exercise) throw new NotFoundError('Exercise');
  if (!exercise.isActive) throw invalid('exerciseId', 'Exercise is inactive: reactivate it or pick another one');
  return exercise;
}
