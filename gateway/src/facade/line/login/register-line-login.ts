import { AppError, ErrorCode, type Logger, sendError } from '@app/platform/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setAuthCookies } from '../../rest/cookies.js';
import type { LineFacadeOptions } from '../line-facade-options.js';
import { bindingHashOf, LINE_LOGIN_TTL_SECONDS, newLineLogin, savePendingLogin, takePendingLogin } from './line-login-state.js';

/** The browser binding of a login attempt: sent only to the LINE Login routes, gone after 10 minutes. */
export const LINE_BINDING_COOKIE = 'line_login';
const BINDING_PATH = '/api/auth/line';

const LINE_LOGIN = {
  name: 'LineLogin',
  document: `mutation LineLogin($input: LineLoginInput!) { lineLogin(input: $input) { accessToken refreshToken tokenType expiresIn user { id } } }`,
};

/** Errors the front end may be told about (`?error=`); anything else is `login_failed`. */
const FRONTEND_ERRORS = new Set(['access_denied', 'invalid_state', 'login_failed', 'server_error']);

/**
 * Seed 002's LINE Login for the web app. `/api/auth/line/login` sends the browser to LINE with a
 * random state, nonce and PKCE challenge (kept server-side, bound to this browser by a cookie);
 * `/api/auth/line/callback` checks them, has the auth service exchange the code and verify the
 * ID token (`lineLogin`), and signs the browser in with the same cookies as the BFF login.
 */
/** LINE's authorization request for one attempt: code flow with PKCE (S256), OpenID scope and nonce. */
function authorizeUrl(config: LineFacadeOptions['config'], attempt: ReturnType<typeof newLineLogin>): string {
  const authorize = new URL('/oauth2/v2.1/authorize', config.LINE_AUTH_URL);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.LINE_LOGIN_CHANNEL_ID!,
    redirect_uri: config.LINE_LOGIN_CALLBACK_URL!,
    state: attempt.state,
    scope: 'openid profile',
    nonce: attempt.nonce,
    code_challenge: attempt.codeChallenge,
    code_challenge_method: 'S256',
  }).toString();
  return authorize.toString();
}

export function registerLineLogin(app: FastifyInstance, options: LineFacadeOptions): void {
  const { config, cache, apollo, cookies } = options;
  const missing = [
    !config.LINE_LOGIN_CHANNEL_ID && 'LINE_LOGIN_CHANNEL_ID',
    !config.LINE_LOGIN_CALLBACK_URL && 'LINE_LOGIN_CALLBACK_URL',
  ].filter(Boolean);
  const notConfigured = (request: FastifyRequest, reply: FastifyReply) =>
    sendError(
      reply,
      request,
      new AppError(ErrorCode.SERVICE_UNAVAILABLE, `LINE Login is not configured on this server (set ${missing.join(' and ')})`),
    );

  const toFrontend = (reply: FastifyReply, error?: string) => {
    const target = new URL(config.FRONTEND_URL);
    if (error) target.searchParams.set('error', FRONTEND_ERRORS.has(error) ? error : 'login_failed');
    reply.clearCookie(LINE_BINDING_COOKIE, { path: BINDING_PATH, httpOnly: true, sameSite: 'lax', secure: cookies.secure });
    return reply.header('cache-control', 'no-store').redirect(target.toString(), 302);
  };

  app.get('/api/auth/line/login', async (request, reply) => {
    if (missing.length) return notConfigured(request, reply);
    const attempt = newLineLogin();
    await savePendingLogin(cache, attempt.state, {
      nonce: attempt.nonce,
      codeVerifier: attempt.codeVerifier,
      bindingHash: bindingHashOf(attempt.binding),
    });
    reply.setCookie(LINE_BINDING_COOKIE, attempt.binding, {
      httpOnly: true,
      sameSite: 'lax',
      secure: cookies.secure,
      path: BINDING_PATH,
      maxAge: LINE_LOGIN_TTL_SECONDS,
    });
    return reply.header('cache-control', 'no-store').redirect(authorizeUrl(config, attempt), 302);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/auth/line/callback', async (request, reply) => {
    if (missing.length) return notConfigured(request, reply);
    const { code, state, error } = request.query;
    const log = request.log as Logger;
    const pending = typeof state === 'string' ? await takePendingLogin(cache, state, request.cookies?.[LINE_BINDING_COOKIE]) : null;
    if (!pending) {
      log.warn({ reason: state ? 'unknown, expired, used or foreign state' : 'no state' }, 'LINE login callback refused');
      return toFrontend(reply, 'invalid_state');
    }
    // LINE's documentation writes its error codes in upper case in places, OAuth in lower case.
    if (error) return toFrontend(reply, error.toLowerCase() === 'access_denied' ? 'access_denied' : 'login_failed');
    if (typeof code !== 'string' || !code || code.length > 512) return toFrontend(reply, 'login_failed');

    const response = await apollo.executeOperation(
      {
        query: LINE_LOGIN.document,
        operationName: LINE_LOGIN.name,
        variables: { input: { code, codeVerifier: pending.codeVerifier, nonce: pending.nonce } },
      },
      { contextValue: { requestId: request.requestId, logger: log } },
    );
    const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
    const payload = result?.data?.lineLogin as { accessToken: string; refreshToken: string; expiresIn: number } | undefined;
    if (!payload) {
      const failure = result?.errors?.[0]?.extensions;
      log.warn({ code: failure?.code, reason: failure?.reason }, 'LINE login failed');
      return toFrontend(reply, failure?.code === ErrorCode.SERVICE_UNAVAILABLE ? 'server_error' : 'login_failed');
    }
    setAuthCookies(reply, payload, cookies);
    return toFrontend(reply);
  });
}
