import { NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { Workout } from '../entities/index.js';
import { asObject, dateTime, invalid, text, uuid } from '../inputs.js';
import { WorkoutRepository } from '../repositories/index.js';

const updateWorkoutInput = z.object({
  id: uuid('Workout id'),
  startedAt: dateTime('Start time').optional(),
  endedAt: dateTime('End time').nullable().optional(),
  note: text('Note', 1000).nullable().optional(),
});

/**
 * WorkoutUsecase.Update: partial update. A field left out stays as it is; null clears endedAt or
 * note; startedAt cannot be cleared. The result must still have endedAt >= startedAt.
 */
export async function updateWorkout(deps: WorkoutsDeps, userId: string, id: unknown, rawInput: unknown): Promise<Workout> {
  const input = parseInput(updateWorkoutInput, { ...asObject(rawInput), id });
  const { id: workoutId, ...changes } = input;
  const workout = await new WorkoutRepository(deps.em.fork()).updateWorkoutByIdAndUser(userId, workoutId, changes, (w) => {
    if (w.endedAt && w.endedAt.getTime() < w.startedAt.getTime()) {
      throw changes.endedAt === undefined
        ? invalid('startedAt', 'Start time must not be after the end time')
        : invalid('endedAt', 'End time must not be before the start time');
    }
  });
  if (!workout) throw new NotFoundError('Workout');
  return workout;
}
