import type { AuthDeps } from '../deps.js';
import { User } from '../entities/index.js';
import { issueTokens, recordSession, type AuthPayload } from '../tokens.js';

/**
 * What every successful sign-in does, whatever proved who the user is (password, LINE): records
 * the login time, issues an access token and the first refresh token of a new session, records
 * the session and announces the login.
 */
export async function startSession(deps: AuthDeps, userId: string): Promise<AuthPayload> {
  const familyId = crypto.randomUUID();
  const payload = await deps.em.fork().transactional(async (tx) => {
    const fresh = await tx.findOneOrFail(User, { id: userId });
    fresh.lastLoginAt = new Date();
    return issueTokens(deps, tx, fresh, familyId);
  });
  await recordSession(deps, familyId, userId);
  await deps.bus.publish('auth.user.logged_in', { userId, at: payload.user.lastLoginAt!.toISOString() }, { msgId: `login:${familyId}` });
  return payload;
}
