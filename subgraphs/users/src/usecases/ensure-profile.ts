import type { EntityManager } from '@mikro-orm/postgresql';
import { DeletionRequest, Profile } from '../entities/index.js';

/** Serialises creating a user's profile with `deleteMe` for that user (same key in delete-me.ts). */
export const deletionLockKey = (userId: string) => `deletion:${userId}`;

/**
 * The user's profile row, created with defaults when this is the first write for them.
 * Null when the account's deletion has been requested: an erased profile never comes back,
 * whatever event (a late login, a redelivered registration) or request arrives afterwards.
 */
export async function ensureProfile(
  em: EntityManager,
  userId: string,
  defaultLocale: string,
  /** What a sign-in provider said about the person (LINE's name and picture): used only when the row is created. */
  initial: { displayName?: string; pictureUrl?: string } = {},
): Promise<Profile | null> {
  const existing = await em.findOne(Profile, { userId });
  if (existing) return existing;
  const created = await em.transactional(async (tx) => {
    // Under deleteMe's lock: either the deletion request is already committed (and seen here),
    // or deleteMe waits for this row to be committed and the erasure that follows removes it.
    await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [deletionLockKey(userId)]);
    if ((await tx.count(DeletionRequest, { userId })) > 0) return false;
    // INSERT ... ON CONFLICT DO NOTHING: an event handler may be creating the same row right now,
    // and a failed plain INSERT would abort the caller's transaction.
    const now = new Date();
    await tx
      .createQueryBuilder(Profile)
      .insert({
        userId,
        locale: defaultLocale,
        displayName: initial.displayName ?? null,
        pictureUrl: initial.pictureUrl ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .onConflict('userId')
      .ignore()
      .execute();
    return true;
  });
  return created ? em.findOneOrFail(Profile, { userId }, { refresh: true }) : null;
}
