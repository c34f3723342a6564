import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { Workout } from '../entities/index.js';
import { asObject, dateTime, text } from '../inputs.js';
import { WorkoutRepository } from '../repositories/index.js';

const createWorkoutInput = z.object({
  startedAt: dateTime('Start time'),
  note: text('Note', 1000).nullish(),
});

/** WorkoutUsecase.Create: a new workout of the user (startedAt required, not ended yet). */
export async function createWorkout(deps: WorkoutsDeps, userId: string, rawInput: unknown): Promise<Workout> {
  const input = parseInput(createWorkoutInput, asObject(rawInput));
  return new WorkoutRepository(deps.em.fork()).create(userId, { startedAt: input.startedAt, note: input.note ?? null });
}
