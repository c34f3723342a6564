import { AppError, ErrorCode, parseInput } from '@app/platform';
import { z } from 'zod';
import type { AuthConfig } from '../config.js';
import type { AuthDeps } from '../deps.js';
import { LineLoginClient, LineRefusedError, LineUnavailableError } from '../line/line-login-client.js';
import { type LineIdentity, LineIdTokenError, verifyLineIdToken } from '../line/verify-id-token.js';
import type { AuthPayload } from '../tokens.js';
import { ensureLineUser } from './ensure-line-user.js';
import { startSession } from './start-session.js';

/** `extensions.reason` of lineLogin's failures. */
export const LineLoginReason = {
  NOT_CONFIGURED: 'LINE_NOT_CONFIGURED',
  UNAVAILABLE: 'LINE_UNAVAILABLE',
  CODE_REFUSED: 'LINE_CODE_REFUSED',
  ID_TOKEN_INVALID: 'LINE_ID_TOKEN_INVALID',
} as const;

const lineLoginInput = z.object({
  code: z.string().min(1, 'Code is required').max(512, 'Code is too long'),
  // RFC 7636 (and LINE): 43-128 unreserved characters.
  codeVerifier: z
    .string()
    .regex(/^[A-Za-z0-9._~-]{43,128}$/, "Code verifier must be 43-128 characters: letters, digits, '-', '.', '_' or '~'"),
  nonce: z.string().min(1, 'Nonce is required').max(255, 'Nonce is too long'),
});

/**
 * LINE Login's last step (seed 002), for the gateway's /api/auth/line/callback: exchange the code
 * with its PKCE verifier, verify the ID token, find or create the account of the LINE user, and
 * sign them in exactly as a password login does. Nothing is written unless LINE vouched for the user.
 */
export async function lineLogin(deps: AuthDeps, rawInput: unknown): Promise<AuthPayload> {
  const channel = lineChannel(deps.config);
  const input = parseInput(lineLoginInput, rawInput);

  let idToken: string | undefined;
  try {
    ({ idToken } = await new LineLoginClient(channel).exchangeCode(input.code, input.codeVerifier));
  } catch (err) {
    if (err instanceof LineRefusedError) throw failed(LineLoginReason.CODE_REFUSED, err.message);
    if (err instanceof LineUnavailableError) {
      deps.logger.warn({ err: err.message, cause: (err.cause as Error | undefined)?.message }, 'LINE token endpoint failed');
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'LINE did not answer; try again later', { reason: LineLoginReason.UNAVAILABLE });
    }
    throw err;
  }
  if (!idToken)
    throw failed(LineLoginReason.ID_TOKEN_INVALID, 'LINE returned no ID token (the authorize request must ask for the openid scope)');

  let identity: LineIdentity;
  try {
    identity = await verifyLineIdToken(idToken, { channelId: channel.channelId, channelSecret: channel.channelSecret, nonce: input.nonce });
  } catch (err) {
    if (err instanceof LineIdTokenError) throw failed(LineLoginReason.ID_TOKEN_INVALID, err.message);
    throw err;
  }

  // A new account is announced (`auth.user.registered`) from the outbox, committed with it.
  const { user } = await ensureLineUser(deps, identity);
  return startSession(deps, user.id);
}

const failed = (reason: string, why: string) => new AppError(ErrorCode.UNAUTHENTICATED, `LINE login failed: ${why}`, { reason });

function lineChannel(config: AuthConfig) {
  const { LINE_LOGIN_CHANNEL_ID: channelId, LINE_LOGIN_CHANNEL_SECRET: channelSecret, LINE_LOGIN_CALLBACK_URL: callbackUrl } = config;
  if (!channelId || !channelSecret || !callbackUrl) {
    throw new AppError(
      ErrorCode.SERVICE_UNAVAILABLE,
      'LINE Login is not configured (LINE_LOGIN_CHANNEL_ID, LINE_LOGIN_CHANNEL_SECRET and LINE_LOGIN_CALLBACK_URL)',
      { reason: LineLoginReason.NOT_CONFIGURED },
    );
  }
  return { channelId, channelSecret, callbackUrl, apiUrl: config.LINE_API_URL, timeoutMs: config.LINE_TIMEOUT_MS };
}
