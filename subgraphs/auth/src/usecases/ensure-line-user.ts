import { randomBytes } from 'node:crypto';
import { isUniqueViolation } from '@app/platform';
import type { AuthDeps } from '../deps.js';
import { User } from '../entities/index.js';
import type { LineIdentity } from '../line/verify-id-token.js';

const MAX_ATTEMPTS = 3;

/**
 * The account of a LINE user (seed 002's EnsureUserFromLineProfile), created on their first
 * sign-in: a generated username, no password, and LINE's email when no other account has it.
 * An email already taken stays with its account: linking by email would hand that account to
 * whoever controls a LINE account with the same address.
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
    try {
      await em.flush();
      return { user, created: true };
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= MAX_ATTEMPTS) throw err;
      // A race lost: the same LINE user signing in twice at once (the next pass finds the account
      // the other request created), a registration taking the email, or a generated name taken.
      if (/email/.test((err as Error).message)) email = null;
    }
  }
}
