import { cacheKeys, RateLimitError } from '@app/platform';
import { accountMaxFailures } from './config.js';
import type { AuthDeps } from './deps.js';

const TOO_MANY = 'Too many failed login attempts; try again later';

export interface AdmittedLogin {
  /** The password was right: this address's failures are forgotten, and the attempt no longer counts against the account. */
  succeeded(): Promise<void>;
}

/**
 * Counts a login attempt at `subject` (an account, or a name that is none) before its password is
 * checked, and refuses it with RATE_LIMIT_EXCEEDED past either limit:
 * - LOGIN_MAX_FAILURES per subject and client address in LOGIN_WINDOW: what one guesser gets.
 *   Another address (the owner's) has its own count, so nobody can lock an account out by
 *   typing its name wrongly;
 * - LOGIN_ACCOUNT_MAX_FAILURES per subject from all addresses in a fixed LOGIN_ACCOUNT_WINDOW:
 *   the backstop against guessing spread over many addresses. Successful logins are taken off.
 * Counting first (an atomic INCR, then the comparison) means parallel attempts cannot all pass
 * the check before any of them is counted. An attempt refused by its address's limit is not
 * counted against the account, so hammering from one address cannot reach the account limit.
 */
export async function admitLoginAttempt(deps: AuthDeps, subject: string, address: string): Promise<AdmittedLogin> {
  const { cache, config } = deps;
  const fromKey = cacheKeys.loginAttemptsFrom(subject, address);
  if ((await cache.incr(fromKey, config.LOGIN_WINDOW)) > config.LOGIN_MAX_FAILURES) {
    throw new RateLimitError(Math.max(1, await cache.ttl(fromKey)), TOO_MANY);
  }

  const now = Math.floor(Date.now() / 1000);
  const windowStart = now - (now % config.LOGIN_ACCOUNT_WINDOW);
  const windowLeft = windowStart + config.LOGIN_ACCOUNT_WINDOW - now;
  const attemptsKey = cacheKeys.loginAttemptsInWindow(subject, windowStart);
  const successesKey = cacheKeys.loginSuccessesInWindow(subject, windowStart);
  const attempts = await cache.incr(attemptsKey, windowLeft + 1);
  // Successes only ever grow, so reading them after the INCR can only make the check stricter.
  const failures = attempts - Number((await cache.get(successesKey)) ?? 0);
  const limit = accountMaxFailures(config);
  if (failures > limit) {
    if (failures === limit + 1)
      deps.logger.warn(
        { subject, limit, windowSeconds: config.LOGIN_ACCOUNT_WINDOW },
        'login attempts at one account from many addresses: account locked for the rest of the window',
      );
    throw new RateLimitError(Math.max(1, windowLeft), TOO_MANY);
  }

  return {
    async succeeded() {
      await cache.del(fromKey);
      await cache.incr(successesKey, windowLeft + 1);
    },
  };
}
