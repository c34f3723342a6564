import { NotFoundError, parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { BodyMetric } from '../entities/index.js';
import { asObject, uuid } from '../inputs.js';
import { BodyMetricRepository } from '../repositories/index.js';
import { bodyMetricFields } from './create-body-metric.js';

const updateBodyMetricInput = z.object({
  id: uuid('Body metric id'),
  measuredAt: bodyMetricFields.measuredAt.optional(),
  weightKg: bodyMetricFields.weightKg.optional(),
  bodyFatPct: bodyMetricFields.bodyFatPct.nullable().optional(),
  note: bodyMetricFields.note.nullable().optional(),
});

/** BodyMetricUsecase.Update: partial update (null clears bodyFatPct or note; measuredAt and weightKg cannot be cleared). */
export async function updateBodyMetric(deps: WorkoutsDeps, userId: string, id: unknown, rawInput: unknown): Promise<BodyMetric> {
  const { id: metricId, ...changes } = parseInput(updateBodyMetricInput, { ...asObject(rawInput), id });
  const metric = await new BodyMetricRepository(deps.em.fork()).updateOwned(userId, metricId, changes);
  if (!metric) throw new NotFoundError('Body metric');
  return metric;
}
