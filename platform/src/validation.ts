import type { z } from 'zod';
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
