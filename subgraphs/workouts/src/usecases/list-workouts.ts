import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { Workout } from '../entities/index.js';
import { asObject, checkRange, type Page, pageArgs, rangeArgs } from '../inputs.js';
import { WorkoutRepository } from '../repositories/index.js';

const listWorkoutsInput = checkRange(z.object({ ...rangeArgs, ...pageArgs }));

/** WorkoutUsecase.ListByUser: the user's workouts with from <= startedAt < to, newest start first. */
export async function listWorkouts(deps: WorkoutsDeps, userId: string, args: unknown): Promise<Page<Workout>> {
  const filter = parseInput(listWorkoutsInput, asObject(args));
  const [items, total] = await new WorkoutRepository(deps.em.fork()).findWorkoutsByUser(userId, filter);
  return { items, total, limit: filter.limit, offset: filter.offset };
}
