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
 * Issues an access token (ES256 JWT, 15 min by default) and the next refresh token of the
 * session `familyId`, inside the caller's transaction.
 */
export async function issueTokens(deps: AuthDeps, tx: EntityManager, user: User, familyId: string): Promise<AuthPayload> {
  const { config } = deps;
  const { kid, key } = await deps.keys.signingKey();
  const accessToken = await new SignJWT({ scope: user.scopes, sid: familyId })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setIssuer(config.JWT_ISSUER)
    .setAudience(config.JWT_AUDIENCE)
    .setSubject(user.id)
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(`${config.ACCESS_TOKEN_TTL}s`)
    .sign(key);

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
