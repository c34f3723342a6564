import { parseInput } from '@app/platform';
import { z } from 'zod';
import type { RelationshipMapDeps } from '../deps.js';
import type { AggregateSignal } from '../entities/index.js';
import { TokenCipherError, toSignalLevels } from '../facebook/index.js';
import { FacebookLinkRepository, repositories, SignalRepository } from '../repositories/index.js';
import { facebookConnectionFailed, facebookNotConfigured, fromFacebookError } from './facebook-errors.js';

/** Signals are valid this long after they were collected (seed 004: validUntil = collectedAt + 24 h). */
export const SIGNALS_VALID_MS = 24 * 3600_000;
export const DEFAULT_WINDOW_DAYS = 14;

const signalsInput = z.object({
  windowDays: z
    .number({ error: 'windowDays must be an integer' })
    .int('windowDays must be an integer')
    .min(1, 'windowDays must be between 1 and 90')
    .max(90, 'windowDays must be between 1 and 90')
    .nullish()
    .transform((v) => v ?? DEFAULT_WINDOW_DAYS),
});

/**
 * The user's signals over the window: the stored ones while valid, otherwise fetched from Facebook,
 * bucketed into levels and stored (only the levels). Facebook failing writes nothing.
 */
export async function getAggregateSignals(deps: RelationshipMapDeps, userId: string, rawWindowDays: unknown): Promise<AggregateSignal> {
  const { windowDays } = parseInput(signalsInput, { windowDays: rawWindowDays });
  if (!deps.facebook) throw facebookNotConfigured();
  const em = deps.em.fork();
  const now = new Date();
  const stored = await new SignalRepository(em).findValid(userId, windowDays, now);
  if (stored) return stored;

  const link = await new FacebookLinkRepository(em).find(userId);
  if (!link?.encryptedToken) throw facebookConnectionFailed('Facebook is not connected: connect it first');
  let token: string;
  try {
    token = deps.cipher.decrypt(link.encryptedToken, userId);
  } catch (err) {
    if (err instanceof TokenCipherError)
      throw facebookConnectionFailed('The stored Facebook token can no longer be read: connect Facebook again');
    throw err;
  }
  const activity = await deps.facebook
    .countActivity(token, { since: new Date(now.getTime() - windowDays * 86_400_000), until: now })
    .catch(fromFacebookError);
  const levels = toSignalLevels(activity, windowDays);

  return deps.em.fork().transactional(async (tx) => {
    const repos = repositories(tx);
    // The link may have changed while Facebook was asked: signals of a disconnected (or another)
    // account must not be stored.
    const current = await repos.links.findForUpdate(userId);
    if (current?.encryptedToken !== link.encryptedToken)
      throw facebookConnectionFailed('Facebook was disconnected or reconnected meanwhile: ask again');
    return repos.signals.save(userId, windowDays, { ...levels, collectedAt: now, validUntil: new Date(now.getTime() + SIGNALS_VALID_MS) });
  });
}
