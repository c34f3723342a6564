import { NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { Workout } from '../entities/index.js';
import { dateTime, invalid, uuid } from '../inputs.js';
import { WorkoutRepository } from '../repositories/index.js';

const endWorkoutInput = z.object({
  id: uuid('Workout id'),
  endedAt: dateTime('End time').nullish(),
});

/** WorkoutUsecase.End: sets endedAt (default now), never before startedAt. Ending it again moves the end. */
export async function endWorkout(deps: WorkoutsDeps, userId: string, id: unknown, endedAt: unknown): Promise<Workout> {
  const input = parseInput(endWorkoutInput, { id, endedAt });
  const end = input.endedAt ?? new Date();
  const workout = await new WorkoutRepository(deps.em.fork()).updateWorkoutByIdAndUser(userId, input.id, { endedAt: end }, (w) => {
    if (end.getTime() < w.startedAt.getTime()) throw invalid('endedAt', 'End time must not be before the start time');
  });
  if (!workout) throw new NotFoundError('Workout');
  return workout;
}
