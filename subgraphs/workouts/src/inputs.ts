/**
 * Input rules shared by the use cases (zod 4). Use cases parse the arguments of one operation as
 * one flat object (`{ id, ...input }`), so `validationErrors[].field` is the argument's or the
 * input field's name (`id`, `workoutId`, `startedAt`, `weightKg`, ...), every bad field at once.
 */
import { DEFAULT_LIMIT, MAX_LIMIT, pageArgs, uuid, ValidationError } from '@app/platform';
import { z } from 'zod';

export { DEFAULT_LIMIT, MAX_LIMIT, pageArgs, uuid };

// timestamptz holds far more, but a date-time outside these years is a typo, not a workout.
const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A DateTime argument (the scalar already parsed it into a Date). */
export const dateTime = (label: string) =>
  z
    .date({
      error: (issue) =>
        issue.input === undefined
          ? `${label} is required`
          : issue.input === null
            ? `${label} cannot be null`
            : `${label} must be an RFC 3339 date-time`,
    })
    .refine((d) => d.getTime() >= EARLIEST && d.getTime() <= LATEST, `${label} must be between the years 1900 and 9999`);

/** Free text of at most `max` characters; blank becomes null; NUL and other control characters (but tab and newlines) refused. */
export const text = (label: string, max: number) =>
  z
    .string({ error: `${label} must be a string` })
    .trim()
    .max(max, `${label} must be at most ${max} characters`)
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, `${label} must not contain control characters`)
    .transform((s) => (s === '' ? null : s));

/** A required one-line name: trimmed, 1..max characters, no control characters. */
export const name = (label: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === null ? `${label} cannot be cleared` : `${label} must be a string`) })
    .trim()
    .min(1, `${label} must not be empty`)
    .max(max, `${label} must be at most ${max} characters`)
    .regex(/^[^\u0000-\u001f\u007f]*$/, `${label} must not contain control characters`);

/** An optional one-line label (primary muscle): like `name`, but blank becomes null. */
export const optionalName = (label: string, max: number) =>
  z
    .string({ error: `${label} must be a string` })
    .trim()
    .max(max, `${label} must be at most ${max} characters`)
    .regex(/^[^\u0000-\u001f\u007f]*$/, `${label} must not contain control characters`)
    .transform((s) => (s === '' ? null : s));

/** The comparison key of a name: Unicode-normalised (NFKC), inner whitespace collapsed, lower case. */
export const nameKey = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

/** Kilograms (or percent): stored as numeric(p, 3), so at most 3 decimals, exactly as given. */
export const decimal3 = (label: string) =>
  z
    .number({ error: (issue) => (issue.input === null ? `${label} cannot be cleared` : `${label} must be a number`) })
    .refine((v) => Number.isFinite(v) && Number(v.toFixed(3)) === v, `${label} may have at most 3 decimal places`);

export const weightKg = (label: string, max: number) =>
  decimal3(label).pipe(z.number().gt(0, `${label} must be greater than 0`).max(max, `${label} must be at most ${max}`));

export const bodyFatPct = decimal3('Body fat percentage').pipe(
  z.number().min(0, 'Body fat percentage must be between 0 and 100').max(100, 'Body fat percentage must be between 0 and 100'),
);

export const reps = z
  .number({ error: (issue) => (issue.input === null ? 'Reps cannot be cleared' : 'Reps must be an integer') })
  .int('Reps must be an integer')
  .min(0, 'Reps must be 0 or more')
  .max(10_000, 'Reps must be at most 10000');

/** `from` / `to` of a time-range list: half-open, from <= t < to, from not after to. */
export const rangeArgs = {
  from: dateTime('From')
    .nullish()
    .transform((v) => v ?? undefined),
  to: dateTime('To')
    .nullish()
    .transform((v) => v ?? undefined),
};
export const checkRange = <T extends { from?: Date; to?: Date }>(schema: z.ZodType<T>) =>
  schema.refine((a) => !a.from || !a.to || a.from.getTime() <= a.to.getTime(), { message: 'From must not be after to', path: ['to'] });

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** An object argument that must be present (GraphQL enforces it; a direct caller might not). */
export const asObject = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' ? (value as Record<string, unknown>) : {};

/** A rule that depends on stored data (endedAt >= startedAt): the same VALIDATION_ERROR shape. */
export const invalid = (field: string, message: string) => new ValidationError([{ field, message }]);
