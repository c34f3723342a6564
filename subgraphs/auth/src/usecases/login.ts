import { createHash } from 'node:crypto';
import { parseInput, UnauthenticatedError } from '@app/platform';
import { z } from 'zod';
import { passwordCost } from '../config.js';
import type { AuthDeps } from '../deps.js';
import { User } from '../entities/index.js';
import { addressBucket } from '../internal/client-address.js';
import { admitLoginAttempt } from '../login-throttle.js';
import { hashPassword, needsRehash, verifyPassword } from '../passwords.js';
import type { AuthPayload } from '../tokens.js';
import { startSession } from './start-session.js';

const loginInput = z.object({
  usernameOrEmail: z.string().trim().min(1, 'Username or email is required').max(254, 'Username or email is too long'),
  password: z.string().min(1, 'Password is required').max(128, 'Password is too long'),
});

/** One message for unknown user and wrong password, so a login form cannot be used to probe accounts. */
export const LOGIN_FAILED = 'Invalid username/email or password';

/** `clientAddress`: who is trying (see internal/client-address.ts); attempts are limited per account and address. */
export async function login(deps: AuthDeps, rawInput: unknown, clientAddress: string): Promise<AuthPayload> {
  const input = parseInput(loginInput, rawInput);
  const identifier = input.usernameOrEmail.toLowerCase();
  const em = deps.em.fork();
  const user = await em.findOne(User, identifier.includes('@') ? { email: identifier } : { usernameKey: identifier });
  // Attempts count per account, whichever of its names (username or email) is typed; an
  // identifier that names no account is limited alike (hashed: it is whatever was typed), so the
  // limits do not tell whether an account exists.
  const subject = user ? `account:${user.id}` : `name:${createHash('sha256').update(identifier).digest('base64url')}`;
  const attempt = await admitLoginAttempt(deps, subject, addressBucket(clientAddress));

  // Always hash, against a decoy when the user is unknown: equal work, equal timing.
  // An account created by LINE Login has no password (null hash) and never signs in here.
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? deps.decoyHash);
  if (!user?.passwordHash || !passwordOk) throw new UnauthenticatedError(LOGIN_FAILED);
  await attempt.succeeded();
  await upgradeHash(deps, user.id, user.passwordHash, input.password);
  return startSession(deps, user.id);
}

/**
 * Replaces a hash written with an older scheme (scrypt) or another cost by argon2id at today's
 * cost; only a login knows the password to do so. Unless the hash changed meanwhile.
 */
async function upgradeHash(deps: AuthDeps, userId: string, stored: string, password: string): Promise<void> {
  const cost = passwordCost(deps.config);
  if (!needsRehash(stored, cost)) return;
  try {
    await deps.em.fork().nativeUpdate(User, { id: userId, passwordHash: stored }, { passwordHash: await hashPassword(password, cost) });
  } catch (err) {
    // The login itself succeeded; the next one tries again.
    deps.logger.warn({ err: (err as Error).message, userId }, 'could not upgrade a password hash');
  }
}
