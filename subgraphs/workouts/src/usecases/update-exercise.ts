import { isUniqueViolation, parseInput, translateConstraintErrors } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { Exercise } from '../entities/index.js';
import { asObject, nameKey, uuid } from '../inputs.js';
import { ExerciseRepository } from '../repositories/index.js';
import { exerciseFields } from './create-exercise.js';
import { exerciseNameConflict } from './exercise-name-conflict.js';
import { findOwnedExerciseForChange } from './find-owned-exercise.js';

const updateExerciseInput = z.object({
  id: uuid('Exercise id'),
  name: exerciseFields.name.optional(),
  type: exerciseFields.type.optional(),
  primaryMuscle: exerciseFields.primaryMuscle.nullable().optional(),
  isActive: z.boolean({ error: (issue) => (issue.input === null ? 'isActive cannot be null' : 'isActive must be a boolean') }).optional(),
});

/** ExerciseUsecase.Update: partial update of the user's own exercise (null clears primaryMuscle). */
export async function updateExercise(deps: WorkoutsDeps, userId: string, id: unknown, rawInput: unknown): Promise<Exercise> {
  const { id: exerciseId, ...changes } = parseInput(updateExerciseInput, { ...asObject(rawInput), id });
  const key = changes.name === undefined ? undefined : nameKey(changes.name);
  return translateConstraintErrors(
    () =>
      deps.em.fork().transactional(async (tx) => {
        const exercises = new ExerciseRepository(tx);
        const exercise = await findOwnedExerciseForChange(exercises, userId, exerciseId);
        if (key !== undefined && (await exercises.findVisibleByNameKey(userId, key, exercise.id)))
          throw exerciseNameConflict(changes.name!);
        return exercises.applyChanges(exercise, { ...changes, nameKey: key });
      }),
    (err) => (isUniqueViolation(err) ? exerciseNameConflict(changes.name ?? '') : undefined),
  );
}
