import { createHash, randomBytes } from 'node:crypto';
import { cacheKeys } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SignJWT } from 'jose';
import type { AuthDeps } from './deps.js';
import { RefreshToken, type User } from './entities/index.js';

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: User;
}

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Signs an access token (ES256 JWT with the current kid) for `user`: the one format every
 * verifier accepts. `sessionId` becomes `sid`; `claims` may add claims (never replace the standard ones).
 */
export async function signAccessToken(
  deps: AuthDeps,
  user: User,
  options: { sessionId: string; ttlSeconds: number; claims?: Record<string, unknown> },
): Promise<string> {
  const { config } = deps;
  const { kid, key } = await deps.keys.signingKey();
  return new SignJWT({ ...options.claims, scope: user.scopes, sid: options.sessionId })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setIssuer(config.JWT_ISSUER)
    .setAudience(config.JWT_AUDIENCE)
    .setSubject(user.id)
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(`${options.ttlSeconds}s`)
    .sign(key);
}

/**
 * Issues an access token (ES256 JWT, 15 min by default) and the next refresh token of the
 * session `familyId`, inside the caller's transaction.
 */
export async function issueTokens(deps: AuthDeps, tx: EntityManager, user: User, familyId: string): Promise<AuthPayload> {
  const { config } = deps;
  const accessToken = await signAccessToken(deps, user, { sessionId: familyId, ttlSeconds: config.ACCESS_TOKEN_TTL });

  const refreshToken = randomBytes(32).toString('base64url');
  tx.create(RefreshToken, {
    familyId,
    userId: user.id,
    tokenHash: hashRefreshToken(refreshToken),
    expiresAt: new Date(Date.now() + config.REFRESH_TOKEN_TTL * 1000),
  });
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: config.ACCESS_TOKEN_TTL, user };
}

/** The session record of seed 001, kept in the shared cache for as long as its refresh tokens live. */
export function recordSession(deps: AuthDeps, familyId: string, userId: string) {
  return deps.cache.set(
    cacheKeys.session(familyId),
    JSON.stringify({ userId, createdAt: new Date().toISOString() }),
    deps.config.REFRESH_TOKEN_TTL,
  );
}

/** How long the gateway may act as a LINE user per token (never longer than an ordinary access token). */
export const LINE_WEBHOOK_TOKEN_TTL = 300;

/**
 * An access token, and nothing else (no refresh token, no session record), for the gateway to run
 * a LINE webhook event's operations as the account linked to that LINE user. A fresh `sid` keeps
 * it apart from the user's own sessions; `amr: ['line-webhook']` says how it was obtained.
 */
export async function issueLineWebhookToken(deps: AuthDeps, user: User): Promise<{ accessToken: string; expiresIn: number }> {
  // Capped by ACCESS_TOKEN_TTL: a retired signing key stays in the JWKS only that long (plus a margin).
  const expiresIn = Math.min(LINE_WEBHOOK_TOKEN_TTL, deps.config.ACCESS_TOKEN_TTL);
  const accessToken = await signAccessToken(deps, user, {
    sessionId: crypto.randomUUID(),
    ttlSeconds: expiresIn,
    claims: { amr: ['line-webhook'] },
  });
  return { accessToken, expiresIn };
}
