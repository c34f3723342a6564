import { ForbiddenError, NotFoundError } from '@app/platform';
import type { Exercise } from '../entities/index.js';
import type { ExerciseRepository } from '../repositories/index.js';

/**
 * The user's own exercise, locked for a change. A global exercise is visible but not theirs to
 * change (FORBIDDEN); another user's is invisible (NOT_FOUND, so ids do not reveal existence).
 */
export async function findOwnedExerciseForChange(exercises: ExerciseRepository, userId: string, exerciseId: string): Promise<Exercise> {
  const own = await exercises.findOwnedForUpdate(userId, exerciseId);
  if (own) return own;
  if (await exercises.findVisible(userId, exerciseId)) throw new ForbiddenError('Global exercises cannot be changed');
  throw new NotFoundError('Exercise');
}
