/**
 * The account behind a LINE user, from the auth service's internal route: a 5-minute access token
 * of the account whose lineUserId it is, verified like any other token. The LINE user id comes
 * only from a signed event's `source.userId`.
 */
import type { AuthContext, TokenVerifier } from '@app/platform/core';
import { z } from 'zod';

const TIMEOUT_MS = 5_000;
const sessionSchema = z.object({ userId: z.uuid(), accessToken: z.string().min(1), expiresIn: z.number() });

export interface LineAccountOptions {
  /** The auth service's base URL for internal calls. */
  authUrl: string;
  internalApiKey: string;
  verifier: TokenVerifier;
}

export function lineAccountResolver(options: LineAccountOptions): (lineUserId: string) => Promise<AuthContext | null> {
  const url = `${options.authUrl}/internal/line/session`;
  return async (lineUserId) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.internalApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ lineUserId }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (response.status === 404) return null;
    // 401/503 (key wrong or unset) and outages: thrown, so the event is retried, then dead-lettered.
    if (!response.ok) throw new Error(`auth ${url} answered ${response.status}`);
    const session = sessionSchema.parse(await response.json());
    const auth = await options.verifier.verify(session.accessToken);
    if (auth.userId !== session.userId) throw new Error('the LINE session token belongs to another account');
    return auth;
  };
}
