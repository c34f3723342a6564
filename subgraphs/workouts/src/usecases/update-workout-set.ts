import { isForeignKeyViolation, NotFoundError, parseInput, translateConstraintErrors } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { WorkoutSet } from '../entities/index.js';
import { asObject, reps, text, uuid, weightKg } from '../inputs.js';
import { repositories } from '../repositories/index.js';
import { MAX_SET_WEIGHT_KG } from './add-workout-set.js';
import { requireUsableExercise } from './require-usable-exercise.js';

const updateWorkoutSetInput = z.object({
  id: uuid('Set id'),
  exerciseId: uuid('Exercise id').optional(),
  reps: reps.optional(),
  weightKg: weightKg('Weight', MAX_SET_WEIGHT_KG).nullable().optional(),
  note: text('Note', 1000).nullable().optional(),
});

/**
 * WorkoutSetUsecase.UpdateSet: partial update of one of the user's sets. A new exercise must be
 * visible and active (keeping the current one is always allowed); null clears weightKg or note.
 */
export async function updateWorkoutSet(deps: WorkoutsDeps, userId: string, id: unknown, rawInput: unknown): Promise<WorkoutSet> {
  const { id: setId, ...changes } = parseInput(updateWorkoutSetInput, { ...asObject(rawInput), id });
  return translateConstraintErrors(
    () =>
      deps.em.fork().transactional(async (tx) => {
        const repos = repositories(tx);
        const set = await repos.sets.findForUpdate(userId, setId);
        if (!set) throw new NotFoundError('Workout set');
        if (changes.exerciseId !== undefined && changes.exerciseId !== set.exercise) {
          await requireUsableExercise(repos.exercises, userId, changes.exerciseId);
        }
        return repos.sets.applyChanges(set, changes);
      }),
    (err) => (isForeignKeyViolation(err) ? new NotFoundError('Exercise') : undefined),
  );
}
