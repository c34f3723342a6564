import { isUniqueViolation, parseInput, translateConstraintErrors } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { Exercise } from '../entities/index.js';
import { asObject, name, nameKey, optionalName } from '../inputs.js';
import { ExerciseRepository } from '../repositories/index.js';
import { exerciseNameConflict } from './exercise-name-conflict.js';

export const exerciseFields = {
  name: name('Name', 100),
  type: name('Type', 50),
  primaryMuscle: optionalName('Primary muscle', 50),
};

const createExerciseInput = z.object({ ...exerciseFields, primaryMuscle: exerciseFields.primaryMuscle.nullish() });

/**
 * ExerciseUsecase.Create: one of the user's own exercises. Its name must differ
 * (case-insensitively) from every exercise the user sees: their own and the global ones.
 */
export async function createExercise(deps: WorkoutsDeps, userId: string, rawInput: unknown): Promise<Exercise> {
  const input = parseInput(createExerciseInput, asObject(rawInput));
  const key = nameKey(input.name);
  return translateConstraintErrors(
    () =>
      deps.em.fork().transactional(async (tx) => {
        const exercises = new ExerciseRepository(tx);
        if (await exercises.findVisibleByNameKey(userId, key)) throw exerciseNameConflict(input.name);
        return exercises.create(userId, { name: input.name, nameKey: key, type: input.type, primaryMuscle: input.primaryMuscle ?? null });
      }),
    // Two creates of the same name at once: the unique (owner_id, name_key) index lets one through.
    (err) => (isUniqueViolation(err) ? exerciseNameConflict(input.name) : undefined),
  );
}
