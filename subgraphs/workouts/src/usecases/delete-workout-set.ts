import { NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import { WorkoutSetRepository } from '../repositories/index.js';

const deleteWorkoutSetInput = z.object({ id: uuid('Set id') });

/** WorkoutSetUsecase.DeleteSet: the other sets keep their setIndex (a gap is left; order unchanged). */
export async function deleteWorkoutSet(deps: WorkoutsDeps, userId: string, id: unknown): Promise<true> {
  const input = parseInput(deleteWorkoutSetInput, { id });
  if (!(await new WorkoutSetRepository(deps.em.fork()).deleteForUser(userId, input.id))) throw new NotFoundError('Workout set');
  return true;
}
