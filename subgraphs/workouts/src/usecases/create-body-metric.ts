import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { WorkoutsDeps } from '../deps.js';
import type { BodyMetric } from '../entities/index.js';
import { asObject, bodyFatPct, dateTime, text, weightKg } from '../inputs.js';
import { BodyMetricRepository } from '../repositories/index.js';

export const MAX_BODY_WEIGHT_KG = 1000;

export const bodyMetricFields = {
  measuredAt: dateTime('Measurement time'),
  weightKg: weightKg('Weight', MAX_BODY_WEIGHT_KG),
  bodyFatPct,
  note: text('Note', 1000),
};

const createBodyMetricInput = z.object({
  measuredAt: bodyMetricFields.measuredAt,
  weightKg: bodyMetricFields.weightKg,
  bodyFatPct: bodyMetricFields.bodyFatPct.nullish(),
  note: bodyMetricFields.note.nullish(),
});

/** BodyMetricUsecase.Create: weightKg > 0, bodyFatPct 0..100. */
export async function createBodyMetric(deps: WorkoutsDeps, userId: string, rawInput: unknown): Promise<BodyMetric> {
  const input = parseInput(createBodyMetricInput, asObject(rawInput));
  return new BodyMetricRepository(deps.em.fork()).create(userId, {
    measuredAt: input.measuredAt,
    weightKg: input.weightKg,
    bodyFatPct: input.bodyFatPct ?? null,
    note: input.note ?? null,
  });
}
