import { cacheKeys, parseInput, RateLimitError, UnauthenticatedError } from '@app/platform';
import { z } from 'zod';
import type { AuthDeps } from '../deps.js';
import { User } from '../entities/index.js';
import { verifyPassword } from '../passwords.js';
import type { AuthPayload } from '../tokens.js';
import { startSession } from './start-session.js';

const loginInput = z.object({
  usernameOrEmail: z.string().trim().min(1, 'Username or email is required').max(254, 'Username or email is too long'),
  password: z.string().min(1, 'Password is required').max(128, 'Password is too long'),
});

/** One message for unknown user and wrong password, so a login form cannot be used to probe accounts. */
export const LOGIN_FAILED = 'Invalid username/email or password';

export async function login(deps: AuthDeps, rawInput: unknown): Promise<AuthPayload> {
  const input = parseInput(loginInput, rawInput);
  const identifier = input.usernameOrEmail.toLowerCase();
  const em = deps.em.fork();
  const user = await em.findOne(User, identifier.includes('@') ? { email: identifier } : { usernameKey: identifier });
  // Failures count per account, whichever of its names (username or email) is typed;
  // an identifier that names no account gets a counter of its own, so both answer alike.
  const attemptsKey = cacheKeys.loginAttempts(user ? `account:${user.id}` : `name:${identifier}`);

  const failures = Number((await deps.cache.get(attemptsKey)) ?? 0);
  if (failures >= deps.config.LOGIN_MAX_FAILURES) {
    throw new RateLimitError(Math.max(1, await deps.cache.ttl(attemptsKey)), 'Too many failed login attempts; try again later');
  }

  // Always run scrypt, against a decoy when the user is unknown: equal work, equal timing.
  // An account created by LINE Login has no password (null hash) and never signs in here.
  const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? deps.decoyHash);
  if (!user || !user.passwordHash || !passwordOk) {
    await deps.cache.incr(attemptsKey, deps.config.LOGIN_WINDOW);
    throw new UnauthenticatedError(LOGIN_FAILED);
  }
  await deps.cache.del(attemptsKey);

  return startSession(deps, user.id);
}
