import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { BodyMetric } from '../entities/index.js';
import { asObject, checkRange, type Page, pageArgs, rangeArgs } from '../inputs.js';
import { BodyMetricRepository } from '../repositories/index.js';

const listBodyMetricsInput = checkRange(z.object({ ...rangeArgs, ...pageArgs }));

/** BodyMetricUsecase.List: the user's metrics with from <= measuredAt < to, newest first. */
export async function listBodyMetrics(deps: WorkoutsDeps, userId: string, args: unknown): Promise<Page<BodyMetric>> {
  const filter = parseInput(listBodyMetricsInput, asObject(args));
  const [items, total] = await new BodyMetricRepository(deps.em.fork()).listByUser(userId, filter);
  return { items, total, limit: filter.limit, offset: filter.offset };
}
