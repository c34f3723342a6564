import { type AuthContext, RateLimitError, type TokenVerifier } from '@app/platform/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiter } from '../rate-limiter.js';
import { authenticate } from './authenticate.js';

/**
 * Authentication and rate limiting, shared by /graphql and the REST facade; `cost` requests are
 * counted (a batch's operations). Throws AppErrors.
 */
export type RequestGuard = (request: FastifyRequest, reply: FastifyReply, cost?: number) => Promise<AuthContext | undefined>;

export function requestGuard(verifier: TokenVerifier, rateLimiter: RateLimiter): RequestGuard {
  return async (request, reply, cost = 1) => {
    const limit = async (userId?: string) => {
      const decision = await rateLimiter.check({ userId, ip: request.ip }, cost);
      reply
        .header('x-ratelimit-limit', decision.limit)
        .header('x-ratelimit-remaining', decision.remaining)
        .header('x-ratelimit-reset', decision.reset);
      if (!decision.allowed) throw new RateLimitError(decision.retryAfter);
    };
    let auth: AuthContext | undefined;
    try {
      auth = await authenticate(verifier, request);
    } catch (err) {
      // A refused token counts against its address before the 401: guessing tokens is throttled too.
      await limit();
      throw err;
    }
    await limit(auth?.userId);
    return auth;
  };
}
