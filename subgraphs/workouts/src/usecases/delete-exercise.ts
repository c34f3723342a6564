import { ConflictError, isForeignKeyViolation, parseInput, translateConstraintErrors } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import { repositories } from '../repositories/index.js';
import { findOwnedExerciseForChange } from './find-owned-exercise.js';

const deleteExerciseInput = z.object({ id: uuid('Exercise id') });

const inUse = () => new ConflictError('The exercise is used by sets: deactivate it (isActive: false) instead', 'id');

/** ExerciseUsecase.Delete: the user's own exercise, unless a set still uses it (CONFLICT: deactivate it instead). */
export async function deleteExercise(deps: WorkoutsDeps, userId: string, id: unknown): Promise<true> {
  const input = parseInput(deleteExerciseInput, { id });
  return translateConstraintErrors(
    () =>
      deps.em.fork().transactional(async (tx) => {
        const repos = repositories(tx);
        await findOwnedExerciseForChange(repos.exercises, userId, input.id);
        if ((await repos.sets.countByExercise(userId, input.id)) > 0) throw inUse();
        await repos.exercises.deleteOwned(userId, input.id);
        return true as const;
      }),
    (err) => (isForeignKeyViolation(err) ? inUse() : undefined),
  );
}
