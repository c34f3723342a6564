import { isForeignKeyViolation, NotFoundError, parseInput, translateConstraintErrors } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { WorkoutSet } from '../entities/index.js';
import { asObject, reps, text, uuid, weightKg } from '../inputs.js';
import { repositories } from '../repositories/index.js';
import { requireUsableExercise } from './require-usable-exercise.js';

export const MAX_SET_WEIGHT_KG = 10_000;

const addWorkoutSetInput = z.object({
  workoutId: uuid('Workout id'),
  exerciseId: uuid('Exercise id'),
  reps,
  weightKg: weightKg('Weight', MAX_SET_WEIGHT_KG).nullish(),
  note: text('Note', 1000).nullish(),
});

/**
 * WorkoutSetUsecase.AddSet: a set at the end of the user's workout, for a visible, active
 * exercise. Its setIndex is the workout's next number (0, 1, 2, ...), taken atomically.
 */
export async function addWorkoutSet(deps: WorkoutsDeps, userId: string, workoutId: unknown, rawInput: unknown): Promise<WorkoutSet> {
  const input = parseInput(addWorkoutSetInput, { ...asObject(rawInput), workoutId });
  return translateConstraintErrors(
    () =>
      deps.em.fork().transactional(async (tx) => {
        const repos = repositories(tx);
        // Locks the workout row until commit, so concurrent adds get distinct numbers.
        const setIndex = await repos.workouts.reserveSetIndex(userId, input.workoutId);
        if (setIndex === null) throw new NotFoundError('Workout');
        await requireUsableExercise(repos.exercises, userId, input.exerciseId);
        return repos.sets.create(userId, {
          workoutId: input.workoutId,
          exerciseId: input.exerciseId,
          setIndex,
          reps: input.reps,
          weightKg: input.weightKg ?? null,
          note: input.note ?? null,
        });
      }),
    // The exercise was deleted between the check and the insert.
    (err) => (isForeignKeyViolation(err) ? new NotFoundError('Exercise') : undefined),
  );
}
