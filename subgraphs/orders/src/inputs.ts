/**
 * Input rules shared by the use cases (zod 4). `validationErrors[].field` is the argument's or
 * input field's path (`orderId`, `items`, `items.0.quantity`), every bad field at once.
 */
import { DEFAULT_LIMIT, MAX_LIMIT, pageArgs, uuid, ValidationError } from '@app/platform';
import { z } from 'zod';
import { ORDER_STATUSES } from './entities/index.js';

export { DEFAULT_LIMIT, MAX_LIMIT, pageArgs, uuid };
export const MAX_LINES = 100;
export const MAX_QUANTITY = 10_000;
export const REASON_MAX = 500;

export const quantity = z
  .number({ error: 'Quantity must be an integer' })
  .int('Quantity must be an integer')
  .min(1, 'Quantity must be a positive integer')
  .max(MAX_QUANTITY, `Quantity must be at most ${MAX_QUANTITY}`);

export const orderStatus = z.enum(ORDER_STATUSES, { error: 'Unknown order status' });

export const reason = z
  .string({ error: 'Reason must be a string' })
  .trim()
  .max(REASON_MAX, `Reason must be at most ${REASON_MAX} characters`)
  .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'Reason must not contain control characters')
  .transform((s) => (s === '' ? null : s));

/** An object argument that must be present (GraphQL enforces it; a direct caller might not). */
export const asObject = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' ? (value as Record<string, unknown>) : {};

export const invalid = (field: string, message: string) => new ValidationError([{ field, message }]);
