import { NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { Exercise } from '../entities/index.js';
import { uuid } from '../inputs.js';
import { ExerciseRepository } from '../repositories/index.js';

const getExerciseInput = z.object({ id: uuid('Exercise id') });

/** ExerciseUsecase.Get: a global exercise or one of the user's own; another user's is not found. */
export async function getExercise(deps: WorkoutsDeps, userId: string, id: unknown): Promise<Exercise> {
  const input = parseInput(getExerciseInput, { id });
  const exercise = await new ExerciseRepository(deps.em.fork()).findVisible(userId, input.id);
  if (!exercise) throw new NotFoundError('Exercise');
  return exercise;
}
