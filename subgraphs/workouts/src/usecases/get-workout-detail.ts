import { NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { Workout } from '../entities/index.js';
import { uuid } from '../inputs.js';
import { WorkoutRepository } from '../repositories/index.js';

const getWorkoutInput = z.object({ id: uuid('Workout id') });

/** WorkoutUsecase.GetDetail: one of the user's workouts (its sets are resolved by `Workout.sets`). */
export async function getWorkoutDetail(deps: WorkoutsDeps, userId: string, id: unknown): Promise<Workout> {
  const input = parseInput(getWorkoutInput, { id });
  const workout = await new WorkoutRepository(deps.em.fork()).findByIdForUser(userId, input.id);
  if (!workout) throw new NotFoundError('Workout');
  return workout;
}
