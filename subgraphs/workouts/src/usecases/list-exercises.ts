import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { Exercise } from '../entities/index.js';
import { asObject, nameKey, type Page, pageArgs } from '../inputs.js';
import { ExerciseRepository } from '../repositories/index.js';

const filterText = (label: string, max: number) =>
  z
    .string()
    .max(max, `${label} must be at most ${max} characters`)
    .nullish()
    .transform((s) => (s == null || s.trim() === '' ? undefined : s));

const listExercisesInput = z.object({
  q: filterText('Search text', 100).transform((s) => (s === undefined ? undefined : nameKey(s))),
  type: filterText('Type', 50).transform((s) => s?.trim()),
  onlyMine: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
  ...pageArgs,
});

/**
 * ExerciseUsecase.List: what the user can see (global + own, or own only with `onlyMine`), by
 * name. `q` matches any part of the name case-insensitively; `type` matches exactly, case-insensitively.
 * Inactive own exercises are listed too (with isActive false), so they can be reactivated.
 */
export async function listExercises(deps: WorkoutsDeps, userId: string, args: unknown): Promise<Page<Exercise>> {
  const filter = parseInput(listExercisesInput, asObject(args));
  const [items, total] = await new ExerciseRepository(deps.em.fork()).list(userId, filter);
  return { items, total, limit: filter.limit, offset: filter.offset };
}
