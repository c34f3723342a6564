import { parseInput, UnauthenticatedError } from '@app/platform';
import { z } from 'zod';
import type { UsersDeps } from '../deps.js';
import { ensureProfile } from './ensure-profile.js';
import { localeSchema } from './update-profile.js';

const initializeInput = z
  .object({
    locale: localeSchema.nullish(),
    facebookUserId: z
      .string()
      .trim()
      .regex(/^\d{1,32}$/, 'Facebook user id must be numeric')
      .nullish(),
  })
  .nullish();

/**
 * First-login set-up (seed 004). Idempotent: the first call records the time and what it was
 * given; later calls only fill what is still unset.
 */
export async function initializeUser(deps: UsersDeps, userId: string, rawInput: unknown): Promise<{ id: string }> {
  const input = parseInput(initializeInput, rawInput) ?? {};
  let changed = false;
  await deps.em.fork().transactional(async (tx) => {
    const profile = await ensureProfile(tx, userId, input.locale ?? deps.config.DEFAULT_LOCALE);
    if (!profile) throw new UnauthenticatedError('This account has been deleted');
    if (!profile.initializedAt) {
      profile.initializedAt = new Date();
      if (input.locale) profile.locale = input.locale;
      changed = true;
    }
    if (input.facebookUserId && !profile.facebookUserId) {
      profile.facebookUserId = input.facebookUserId;
      changed = true;
    }
  });
  if (changed) await deps.profiles.invalidate(userId);
  return { id: userId };
}
