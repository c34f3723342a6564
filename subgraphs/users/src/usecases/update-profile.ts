import { parseInput, UnauthenticatedError } from '@app/platform';
import { z } from 'zod';
import type { UsersDeps } from '../deps.js';
import { ensureProfile } from './ensure-profile.js';

/** Postgres cannot store NUL, and no name or URL needs a control character. */
const noControlChars = (label: string) => z.string().regex(/^[^\u0000-\u001f\u007f]*$/, `${label} must not contain control characters`);

const optionalText = (label: string, max: number) =>
  z
    .string()
    .trim()
    .max(max, `${label} must be at most ${max} characters`)
    .pipe(noControlChars(label))
    .transform((s) => (s === '' ? null : s))
    .nullable()
    .optional();

export const localeSchema = z
  .string()
  .trim()
  .refine((tag) => {
    try {
      return /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag) && Intl.getCanonicalLocales(tag).length === 1;
    } catch {
      return false;
    }
  }, 'Locale must be a BCP 47 language tag such as ja-JP')
  .transform((tag) => Intl.getCanonicalLocales(tag)[0])
  // The column holds 35 characters (checked after canonicalisation, which can lengthen a tag).
  .pipe(z.string().max(35, 'Locale must be at most 35 characters'));

const updateProfileInput = z.object({
  firstName: optionalText('First name', 100),
  lastName: optionalText('Last name', 100),
  displayName: optionalText('Display name', 100),
  pictureUrl: z
    .string()
    .trim()
    .max(2048, 'Picture URL must be at most 2048 characters')
    .pipe(noControlChars('Picture URL'))
    .pipe(z.url({ protocol: /^https?$/, error: 'Picture URL must be an http(s) URL' }))
    .nullable()
    .optional(),
  locale: localeSchema.optional(),
});

/** UPDATE, then DEL `profile:{id}` and broadcast the invalidation (seed 000's order). */
export async function updateProfile(deps: UsersDeps, userId: string, rawInput: unknown): Promise<{ id: string }> {
  if (rawInput && typeof rawInput === 'object' && 'locale' in rawInput && (rawInput as { locale: unknown }).locale === null) {
    parseInput(z.object({ locale: z.string({ error: 'Locale cannot be cleared' }) }), rawInput);
  }
  const input = parseInput(updateProfileInput, rawInput);
  const em = deps.em.fork();
  await em.transactional(async (tx) => {
    const profile = await ensureProfile(tx, userId, deps.config.DEFAULT_LOCALE);
    if (!profile) throw new UnauthenticatedError('This account has been deleted');
    for (const field of ['firstName', 'lastName', 'displayName', 'pictureUrl', 'locale'] as const) {
      if (input[field] !== undefined) (profile as Record<string, unknown>)[field] = input[field];
    }
  });
  await deps.profiles.invalidate(userId);
  return { id: userId };
}
