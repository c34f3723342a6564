import { UnauthenticatedError } from '@app/platform/core';
import { z } from 'zod';
import { type CookieOptions, clearAuthCookies, REFRESH_COOKIE, setAuthCookies } from '../cookies.js';
import { defineRoute } from '../route.js';

const user = z.object({ id: z.uuid(), username: z.string(), email: z.string().nullable(), createdAt: z.string() });
const PROFILE_FIELDS = 'firstName lastName displayName pictureUrl locale';
const profile = z.object({
  id: z.uuid(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  displayName: z.string().nullable(),
  pictureUrl: z.string().nullable(),
  locale: z.string(),
});
const session = z.object({ user, tokenType: z.literal('Bearer'), expiresIn: z.number().int() });
const sessionWithTokens = session.extend({ accessToken: z.string(), refreshToken: z.string() });
/** `cookie` (default): tokens only in HttpOnly cookies. `token`: in the body, for clients that are not browsers. */
const mode = z.enum(['cookie', 'token'], { message: 'mode must be cookie or token' }).default('cookie');
const AUTH_PAYLOAD = `accessToken refreshToken tokenType expiresIn user { id username email createdAt }`;

type AuthPayload = { accessToken: string; refreshToken: string; tokenType: 'Bearer'; expiresIn: number; user: unknown };
const sessionBody = (payload: AuthPayload, deliver: 'cookie' | 'token') =>
  deliver === 'token' ? payload : { user: payload.user, tokenType: payload.tokenType, expiresIn: payload.expiresIn };

export interface AccountRouteOptions {
  cookies: CookieOptions;
  /** Where `GET /api/logout` sends the browser afterwards. */
  logoutRedirectUrl: string;
}

const updateProfileRoute = (method: 'PUT' | 'POST', summary: string) =>
  defineRoute({
    method,
    path: '/api/profile',
    summary,
    tag: 'account',
    auth: 'required',
    body: z.strictObject({
      firstName: z.string().nullish(),
      lastName: z.string().nullish(),
      displayName: z.string().nullish(),
      pictureUrl: z.string().nullish(),
      locale: z.string().optional(),
    }),
    operation: {
      name: 'UpdateProfile',
      document: `mutation UpdateProfile($input: UpdateProfileInput!) { updateProfile(input: $input) { id profile { ${PROFILE_FIELDS} } } }`,
    },
    variables: ({ body }) => ({ input: body }),
    status: 200,
    result: ({ updateProfile }) => ({ success: true, profile: { id: updateProfile.id, ...updateProfile.profile } }),
    response: z.object({ success: z.literal(true), profile }),
  });

/** Sign-up, sign-in and session routes of the BFF (seeds 000/001/002), and the caller's own account. */
export function accountRoutes({ cookies, logoutRedirectUrl }: AccountRouteOptions) {
  return [
    defineRoute({
      method: 'POST',
      path: '/api/auth/register',
      summary: 'Create an account',
      tag: 'auth',
      auth: 'none',
      body: z.strictObject({ username: z.string(), email: z.string(), password: z.string() }),
      operation: {
        name: 'Register',
        document: `mutation Register($input: RegisterInput!) { register(input: $input) { id username email createdAt } }`,
      },
      variables: ({ body }) => ({ input: body }),
      status: 201,
      result: (data) => data.register,
      response: user,
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/login',
      summary: 'Sign in; tokens are set as HttpOnly cookies (or returned in the body with mode=token)',
      tag: 'auth',
      auth: 'none',
      body: z.strictObject({ usernameOrEmail: z.string(), password: z.string(), mode }),
      operation: { name: 'Login', document: `mutation Login($input: LoginInput!) { login(input: $input) { ${AUTH_PAYLOAD} } }` },
      variables: ({ body }) => ({ input: { usernameOrEmail: body.usernameOrEmail, password: body.password } }),
      status: 200,
      after: (data, reply, { body }) => {
        if (body.mode === 'cookie') setAuthCookies(reply, data.login, cookies);
      },
      result: (data, { body }) => sessionBody(data.login, body.mode),
      response: z.union([session, sessionWithTokens]),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/refresh',
      summary: 'Exchange the refresh token (cookie, or body with mode=token) for a new pair',
      tag: 'auth',
      auth: 'none',
      body: z.strictObject({ refreshToken: z.string().optional(), mode }).optional(),
      operation: {
        name: 'RefreshToken',
        document: `mutation RefreshToken($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { ${AUTH_PAYLOAD} } }`,
      },
      variables: ({ body, cookies: jar }) => {
        const refreshToken = body?.refreshToken ?? jar[REFRESH_COOKIE];
        if (!refreshToken) throw new UnauthenticatedError('No refresh token');
        return { refreshToken };
      },
      status: 200,
      after: (data, reply, { body }) => {
        if ((body?.mode ?? 'cookie') === 'cookie') setAuthCookies(reply, data.refreshToken, cookies);
      },
      result: (data, { body }) => sessionBody(data.refreshToken, body?.mode ?? 'cookie'),
      response: z.union([session, sessionWithTokens]),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/logout',
      summary: 'Sign out: the access token is revoked, the session ended and the cookies cleared',
      tag: 'auth',
      auth: 'required',
      operation: { name: 'Logout', document: `mutation Logout($refreshToken: String) { logout(refreshToken: $refreshToken) }` },
      variables: ({ cookies: jar }) => ({ refreshToken: jar[REFRESH_COOKIE] ?? null }),
      // Seed 001's logout answers 200 OK (not 204); the body says so in the BFF's { success } style.
      status: 200,
      after: (_data, reply) => void clearAuthCookies(reply, cookies),
      result: () => ({ success: true }),
      response: z.object({ success: z.literal(true) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/logout',
      summary: 'Sign out (seed 002) and redirect to the front end',
      tag: 'auth',
      auth: 'required',
      operation: { name: 'Logout', document: `mutation Logout($refreshToken: String) { logout(refreshToken: $refreshToken) }` },
      variables: ({ cookies: jar }) => ({ refreshToken: jar[REFRESH_COOKIE] ?? null }),
      status: 302,
      after: (_data, reply) => {
        clearAuthCookies(reply, cookies);
        void reply.redirect(logoutRedirectUrl, 302);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/me',
      summary: 'The signed-in user (seed 002 shape)',
      tag: 'account',
      auth: 'required',
      operation: { name: 'Me', document: `query Me { me { id username lineUserId profile { displayName pictureUrl } } }` },
      variables: () => ({}),
      status: 200,
      result: ({ me }) => ({
        provider: me.lineUserId ? 'line' : 'password',
        userId: me.id,
        username: me.username,
        name: me.profile.displayName ?? me.username,
        picture: me.profile.pictureUrl,
      }),
      response: z.object({
        provider: z.enum(['line', 'password']),
        userId: z.uuid(),
        username: z.string(),
        name: z.string(),
        picture: z.string().nullable(),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/profile',
      summary: "The caller's profile",
      tag: 'account',
      auth: 'required',
      operation: { name: 'MyProfile', document: `query MyProfile { me { id profile { ${PROFILE_FIELDS} } } }` },
      variables: () => ({}),
      status: 200,
      result: ({ me }) => ({ id: me.id, ...me.profile }),
      response: profile,
    }),
    // Seed 000's front end POSTs the update to the BFF; seed 001 (and REST habit) PUTs it. One definition, two methods.
    updateProfileRoute('PUT', 'Update the profile (seed 001): answers { success, profile }'),
    updateProfileRoute(
      'POST',
      "Update the profile (seed 000's BFF call, e.g. with only the access_token cookie): answers { success, profile }",
    ),
  ];
}
