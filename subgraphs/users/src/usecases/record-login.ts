import type { UsersDeps } from '../deps.js';
import { Profile } from '../entities/index.js';
import { ensureProfile } from './ensure-profile.js';

/** `auth.user.logged_in`: keeps the latest login time; a late or repeated event changes nothing. */
export async function recordLogin(deps: UsersDeps, userId: string, at: Date): Promise<void> {
  const em = deps.em.fork();
  // No profile once the account's deletion was requested: a late login event must not bring it back.
  if (!(await ensureProfile(em, userId, deps.config.DEFAULT_LOCALE))) return;
  const updated = await em.nativeUpdate(
    Profile,
    { userId, $or: [{ lastLoginAt: null }, { lastLoginAt: { $lt: at } }] },
    { lastLoginAt: at },
  );
  if (updated) await deps.profiles.invalidate(userId);
}
