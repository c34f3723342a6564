import type { PayloadOf, Subjects } from '@app/events';
import type { UsersDeps } from '../deps.js';
import { Profile } from '../entities/index.js';
import { ensureProfile } from './ensure-profile.js';

/**
 * `auth.user.registered`: the account's profile, starting with what the sign-in provider said
 * (a LINE account's name and picture). The login event may have created the row first, so the
 * provider's values fill what is still empty; they never overwrite what is set.
 */
export async function registerProfile(deps: UsersDeps, event: PayloadOf<typeof Subjects.AuthUserRegistered>): Promise<void> {
  const em = deps.em.fork();
  const { displayName, pictureUrl } = event;
  const profile = await ensureProfile(em, event.userId, deps.config.DEFAULT_LOCALE, { displayName, pictureUrl });
  if (!profile || (!displayName && !pictureUrl)) return;
  let filled = 0;
  if (displayName) filled += await em.nativeUpdate(Profile, { userId: event.userId, displayName: null }, { displayName });
  if (pictureUrl) filled += await em.nativeUpdate(Profile, { userId: event.userId, pictureUrl: null }, { pictureUrl });
  if (filled) await deps.profiles.invalidate(event.userId);
}
