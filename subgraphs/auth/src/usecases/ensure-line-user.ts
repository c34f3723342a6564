import { randomBytes } from 'node:crypto';
import { Subjects } from '@app/events';
import { isUniqueViolation, writeOutbox } from '@app/platform';
import type { AuthDeps } from '../deps.js';
import { User } from '../entities/index.js';
import type { LineIdentity } from '../line/verify-id-token.js';

const MAX_ATTEMPTS = 3;

/**
 * The account of a LINE user (seed 002's EnsureUserFromLineProfile), created on their first
 * sign-in: a generated username, no password, and LINE's email when no other account has it.
 * An email already taken stays with its account: linking by email would hand that account to
 * whoever controls a LINE account with the same address. A new account and its
 * `auth.user.registered` (with LINE's name and picture) commit together, through the outbox.
 */
export async function ensureLineUser(deps: AuthDeps, identity: LineIdentity): Promise<{ user: User; created: boolean }> {
  let email = identity.email ?? null;
  for (let attempt = 1; ; attempt++) {
    const em = deps.em.fork();
    const existing = await em.findOne(User, { lineUserId: identity.sub });
    if (existing) return { user: existing, created: false };
    if (email && (await em.count(User, { email }))) email = null;

    const username = `line_${randomBytes(5).toString('hex')}`;
    const user = em.create(User, { username, usernameKey: username, email, passwordHash: null, lineUserId: identity.sub, scopes: 'user' });
    writeOutbox(
      em,
      Subjects.AuthUserRegistered,
      {
        userId: user.id,
        username: user.username,
        email: user.email ?? null,
        occurredAt: user.createdAt.toISOString(),
        // The profile starts with the LINE name and picture (seed 002's /api/me shows them).
        ...(identity.name ? { displayName: [...identity.name.trim()].slice(0, 100).join('') } : {}),
        ...(identity.picture ? { pictureUrl: identity.picture } : {}),
      },
      { msgId: `registered:${user.id}` },
    );
    try {
      await em.flush();
      deps.nudgeOutbox();
      return { user, created: true };
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= MAX_ATTEMPTS) throw err;
      // A race lost: the same LINE user signing in twice at once (the next pass finds the account
      // the other request created), a registration taking the email, or a generated name taken.
      if (/email/.test((err as Error).message)) email = null;
    }
  }
}
