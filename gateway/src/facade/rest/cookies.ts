import type { FastifyReply } from 'fastify';

export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';
/** The refresh cookie is sent only to the routes that use it. */
export const REFRESH_COOKIE_PATH = '/api/auth';

export interface CookieOptions {
  /** `Secure` attribute: on in production (HTTPS), off for local http. */
  secure: boolean;
  refreshMaxAgeSeconds: number;
}

/** BFF: the browser keeps the tokens in HttpOnly cookies and never sees them. */
export function setAuthCookies(
  reply: FastifyReply,
  tokens: { accessToken: string; refreshToken: string; expiresIn: number },
  options: CookieOptions,
) {
  reply.setCookie(ACCESS_COOKIE, tokens.accessToken, {
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
    path: '/',
    maxAge: tokens.expiresIn,
  });
  reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    httpOnly: true,
    sameSite: 'strict',
    secure: options.secure,
    path: REFRESH_COOKIE_PATH,
    maxAge: options.refreshMaxAgeSeconds,
  });
}

export function clearAuthCookies(reply: FastifyReply, options: CookieOptions) {
  reply.clearCookie(ACCESS_COOKIE, { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, sameSite: 'strict', secure: options.secure, path: REFRESH_COOKIE_PATH });
}
