/**
 * Input rules shared by the catalog's use cases (zod 4). A use case parses the arguments of one
 * operation as one flat object (`{ id, ...input }`), so `validationErrors[].field` is the argument's
 * or the input field's name (`id`, `name`, `price`, `categoryId`, ...), every bad field at once.
 */
import { DEFAULT_LIMIT, decimal, isUuid, MAX_LIMIT, pageArgs, uuid, ValidationError } from '@app/platform';
import { z } from 'zod';

export { DEFAULT_LIMIT, isUuid, MAX_LIMIT, pageArgs, uuid };
export const NAME_MAX = 200;
export const DESCRIPTION_MAX = 5000;

/** No lone UTF-16 surrogate: Postgres would store it as U+FFFD, silently changing the text. */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

/** A required one-line name: trimmed, 1..max characters, no control characters. */
export const name = (label: string, max = NAME_MAX) =>
  z
    .string({ error: (issue) => (issue.input == null ? `${label} is required` : `${label} must be a string`) })
    .trim()
    .min(1, `${label} is required`)
    .max(max, `${label} must be at most ${max} characters`)
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, `${label} must not contain control characters`)
    // Bidi embeddings, overrides and isolates reorder what a shopper sees ("Trojan Source" names).
    .regex(/^[^\u202a-\u202e\u2066-\u2069]*$/, `${label} must not contain bidirectional control characters`)
    .refine(wellFormed, `${label} must be valid Unicode`)
    // Only invisible characters (zero-width spaces, ...) make a name that looks blank.
    .refine((s) => s === '' || /[^\p{Cf}\p{Z}\s]/u.test(s), `${label} is required`)
    // The stored name key (NFKC, lower case) can be longer than the name ("ﬃ" -> "ffi", "İ" -> "i̇"); it must fit too.
    .refine((s) => s.length > max || [...nameKey(s)].length <= max, `${label} must be at most ${max} characters once normalised`);

/** Free text of at most `max` characters; blank becomes null; control characters (but tab and newlines) refused. */
export const text = (label: string, max: number) =>
  z
    .string({ error: `${label} must be a string` })
    .trim()
    .max(max, `${label} must be at most ${max} characters`)
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, `${label} must not contain control characters`)
    .refine(wellFormed, `${label} must be valid Unicode`)
    .transform((s) => (s === '' ? null : s));

/** The comparison key of a name: Unicode-normalised (NFKC), inner whitespace collapsed, lower case. */
export const nameKey = (s: string) => s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

/** A price: the Decimal scalar already made it a canonical decimal string; it must be > 0. */
export const price = z
  .string({ error: (issue) => (issue.input == null ? 'Price is required' : 'Price must be a decimal number') })
  .refine((v) => decimal.isValid(v), 'Price must be a decimal number with at most 4 decimal places')
  .refine((v) => !decimal.isValid(v) || decimal.compare(v, '0') > 0, 'Price must be greater than 0')
  .transform((v) => (decimal.isValid(v) ? decimal.normalize(v) : v));

/**
 * Largest stock an admin may set: under half the integer column, so stock given back by releases
 * (reserved before an admin raised the level) fits unless over a billion units are reserved at once.
 */
export const MAX_STOCK = 1_000_000_000;

export const stockQuantity = z
  .number({ error: (issue) => (issue.input == null ? 'Stock quantity cannot be null' : 'Stock quantity must be an integer') })
  .int('Stock quantity must be an integer')
  .min(0, 'Stock quantity must be 0 or more')
  .max(MAX_STOCK, `Stock quantity must be at most ${MAX_STOCK}`);

/** Where a product sits in list order (name key, then id): what a connection cursor encodes. */
export interface ProductPosition {
  nameKey: string;
  id: string;
}

/** An opaque cursor: base64url of the keyset position. Clients must not build or read them. */
export const encodeCursor = (position: ProductPosition) =>
  Buffer.from(JSON.stringify(['p1', position.nameKey, position.id]), 'utf8').toString('base64url');

export function decodeCursor(cursor: string): ProductPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(cursor)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 3 || value[0] !== 'p1') return undefined;
    const [, key, id] = value;
    // A name key never holds control characters (names refuse them); Postgres refuses NUL outright.
    if (typeof key !== 'string' || key.length > NAME_MAX * 4 || /[\u0000-\u001f\u007f]/.test(key) || !isUuid(id)) return undefined;
    return { nameKey: key, id: id.toLowerCase() };
  } catch {
    return undefined;
  }
}

const CURSOR_MESSAGE = 'After must be a cursor returned by productsConnection';

/** `first` (1..100, default 20) and `after` (a cursor) of `productsConnection`. */
export const connectionArgs = {
  first: z
    .number()
    .int('First must be an integer')
    .min(1, 'First must be at least 1')
    .max(MAX_LIMIT, `First must be at most ${MAX_LIMIT}`)
    .nullish()
    .transform((v) => v ?? DEFAULT_LIMIT),
  after: z
    .string({ error: CURSOR_MESSAGE })
    .nullish()
    .transform((v, ctx) => {
      if (v == null || v === '') return undefined;
      const position = decodeCursor(v);
      if (!position) {
        ctx.addIssue({ code: 'custom', message: CURSOR_MESSAGE });
        return z.NEVER;
      }
      return position;
    }),
};

/** An object argument that must be present (GraphQL enforces it; a direct caller might not). */
export const asObject = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' ? (value as Record<string, unknown>) : {};

/** A rule that depends on stored data (an unknown categoryId): the same VALIDATION_ERROR shape. */
export const invalid = (field: string, message: string) => new ValidationError([{ field, message }]);
