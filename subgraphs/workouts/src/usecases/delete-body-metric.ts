import { NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import { uuid } from '../inputs.js';
import { BodyMetricRepository } from '../repositories/index.js';

const deleteBodyMetricInput = z.object({ id: uuid('Body metric id') });

/** BodyMetricUsecase.Delete. */
export async function deleteBodyMetric(deps: WorkoutsDeps, userId: string, id: unknown): Promise<true> {
  const input = parseInput(deleteBodyMetricInput, { id });
  if (!(await new BodyMetricRepository(deps.em.fork()).deleteOwned(userId, input.id))) throw new NotFoundError('Body metric');
  return true;
}
