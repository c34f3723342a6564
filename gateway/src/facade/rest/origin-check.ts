import { ForbiddenError } from '@app/platform/core';
import type { FastifyRequest } from 'fastify';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `https://host:port` of a URL-ish header value; `null` stays `null` (never allowed). */
function originOf(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return value;
  }
}

/** Credentials that a browser attaches by itself: the BFF cookies, with no Authorization header. */
const cookieAuthenticated = (request: FastifyRequest) =>
  !request.headers.authorization && (request.cookies?.access_token !== undefined || request.cookies?.refresh_token !== undefined);

/**
 * CSRF protection of the REST facade beyond SameSite=Lax (which a sibling subdomain, an old
 * browser or a top-level POST can get around): a write authenticated by cookie must say where it
 * comes from, `Origin` (or, without it, `Referer`), and that must be the gateway itself (its
 * request origin or PUBLIC_URL) or one of CORS_ORIGINS. Neither header: refused too (browsers
 * send Origin on every POST, PUT, PATCH and DELETE; clients that are not browsers use Bearer).
 * Bearer requests are not checked: a page elsewhere cannot know the token.
 */
export function originCheck(allowedOrigins: string[]) {
  const allowed = new Set(allowedOrigins.map(originOf));
  return (request: FastifyRequest) => {
    if (SAFE_METHODS.has(request.method) || !cookieAuthenticated(request)) return;
    const claimed = request.headers.origin ?? (request.headers.referer ? originOf(request.headers.referer) : undefined);
    if (claimed !== undefined) {
      const origin = originOf(claimed);
      if (origin === `${request.protocol}://${request.host}` || allowed.has(origin)) return;
    }
    throw new ForbiddenError('Cross-site request refused: a write authenticated by cookie must come from an allowed origin');
  };
}
