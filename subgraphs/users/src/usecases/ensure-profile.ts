import type { EntityManager } from '@mikro-orm/postgresql';
import { Profile } from '../entities/index.js';

/** The user's profile row, created with defaults when this is the first write for them. */
export async function ensureProfile(em: EntityManager, userId: string, defaultLocale: string): Promise<Profile> {
  const existing = await em.findOne(Profile, { userId });
  if (existing) return existing;
  // INSERT ... ON CONFLICT DO NOTHING: an event handler may be creating the same row right now,
  // and a failed plain INSERT would abort the caller's transaction.
  const now = new Date();
  await em
    .createQueryBuilder(Profile)
    .insert({ userId, locale: defaultLocale, createdAt: now, updatedAt: now })
    .onConflict('userId')
    .ignore()
    .execute();
  return em.findOneOrFail(Profile, { userId }, { refresh: true });
}
