import { AppError, type AuthContext, extractToken, type TokenVerifier, UnauthenticatedError } from '@app/platform/core';
import type { FastifyRequest } from 'fastify';

/**
 * The one place a request's JWT is checked at the gateway: Bearer header or the BFF's
 * `access_token` cookie. No token: anonymous. A token that fails any check: refused, never
 * downgraded to anonymous (a client with a broken token should hear about it).
 */
export async function authenticate(verifier: TokenVerifier, request: FastifyRequest): Promise<AuthContext | undefined> {
  const token = extractToken(request.headers as { authorization?: string; cookie?: string });
  if (token === undefined) return undefined;
  if (token === '') throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
  try {
    return await verifier.verify(token);
  } catch (err) {
    throw err instanceof AppError ? err : new UnauthenticatedError();
  }
}
