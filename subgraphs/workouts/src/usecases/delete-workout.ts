import { NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import { WorkoutRepository } from '../repositories/index.js';

const deleteWorkoutInput = z.object({ id: uuid('Workout id') });

/** WorkoutUsecase.Delete: the user's workout and all its sets. */
export async function deleteWorkout(deps: WorkoutsDeps, userId: string, id: unknown): Promise<true> {
  const input = parseInput(deleteWorkoutInput, { id });
  if (!(await new WorkoutRepository(deps.em.fork()).deleteWorkoutByIdAndUser(userId, input.id))) throw new NotFoundError('Workout');
  return true;
}
