import { Subjects } from '@app/events';
import { writeOutbox } from '@app/platform';
import type { AuthDeps } from '../deps.js';
import { User } from '../entities/index.js';
import { type AuthPayload, issueTokens, recordSession } from '../tokens.js';

/**
 * What every successful sign-in does, whatever proved who the user is (password, LINE): records
 * the login time, issues an access token and the first refresh token of a new session, records
 * the session and announces the login (`auth.user.logged_in`, in the outbox with the login).
 */
export async function startSession(deps: AuthDeps, userId: string): Promise<AuthPayload> {
  const familyId = crypto.randomUUID();
  const payload = await deps.em.fork().transactional(async (tx) => {
    const fresh = await tx.findOneOrFail(User, { id: userId });
    fresh.lastLoginAt = new Date();
    writeOutbox(tx, Subjects.AuthUserLoggedIn, { userId, at: fresh.lastLoginAt.toISOString() }, { msgId: `login:${familyId}` });
    return issueTokens(deps, tx, fresh, familyId);
  });
  deps.nudgeOutbox();
  await recordSession(deps, familyId, userId);
  return payload;
}
