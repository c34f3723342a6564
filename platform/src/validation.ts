import { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * Parses input with a zod schema; failures become one VALIDATION_ERROR listing every bad field
 * (`validationErrors: [{field, message}]`, seed 003), so clients can show them all at once.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || 'input', message: issue.message })),
  );
}

/** Page size of every limit/offset list: default and largest. */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** `limit` (1..MAX_LIMIT, default DEFAULT_LIMIT) and `offset` (>= 0, default 0) of every list. */
export const pageArgs = {
  limit: z
    .number()
    .int('Limit must be an integer')
    .min(1, 'Limit must be at least 1')
    .max(MAX_LIMIT, `Limit must be at most ${MAX_LIMIT}`)
    .nullish()
    .transform((v) => v ?? DEFAULT_LIMIT),
  offset: z
    .number()
    .int('Offset must be an integer')
    .min(0, 'Offset must be 0 or more')
    .nullish()
    .transform((v) => v ?? 0),
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Any UUID, in either case (ids are stored lower case). */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** An id argument: any UUID (stored lower case). A malformed one never reaches the database. */
export const uuid = (label: string) =>
  z
    .string({ error: (issue) => (issue.input == null ? `${label} is required` : `${label} must be a UUID`) })
    .trim()
    .regex(UUID, `${label} must be a UUID`)
    .transform((s) => s.toLowerCase());
