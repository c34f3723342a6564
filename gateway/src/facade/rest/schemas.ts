import { z } from 'zod';

/** Building blocks for route inputs and documented responses. Messages are what clients see. */
export const uuid = (name: string) => z.uuid(`${name} must be a UUID`);
export const dateTime = (name: string) => z.iso.datetime({ offset: true, message: `${name} must be an RFC 3339 date-time` });

const intFromQuery = (name: string, min: number, max?: number) =>
  z
    .string()
    .regex(/^-?\d+$/, `${name} must be an integer`)
    .transform(Number)
    .pipe(
      max === undefined
        ? z.number().int().min(min, `${name} must be at least ${min}`)
        : z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`),
    );

/** GraphQL `Int` is 32-bit: larger numbers are refused here, naming the field, not by the operation. */
export const INT_MAX = 2_147_483_647;
export const int = (name: string, min = -INT_MAX - 1) =>
  z
    .number()
    .int(`${name} must be an integer`)
    .min(min, `${name} must be at least ${min}`)
    .max(INT_MAX, `${name} must be at most ${INT_MAX}`);

export const pagingQuery = {
  limit: intFromQuery('limit', 1, 100).optional(),
  offset: intFromQuery('offset', 0, INT_MAX).optional(),
};
export const periodQuery = {
  from: dateTime('from').optional(),
  to: dateTime('to').optional(),
};
export const booleanQuery = (name: string) =>
  z.enum(['true', 'false'], { message: `${name} must be true or false` }).transform((v) => v === 'true');

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

export const errorBody = z.object({
  code: z.string(),
  message: z.string(),
  requestId: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
