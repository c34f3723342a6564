/**
 * Helpers for the REST system tests of the workouts part of the facade (workouts, sets,
 * exercises, body metrics): the route table itself (to validate every success body against the
 * route's documented `response` schema and to replay a route's GraphQL operation on /graphql),
 * error-body assertions, the 401 matrix, and small REST shortcuts.
 */
import { expect } from 'vitest';
import type { RestRoute } from '../../gateway/src/facade/rest/route.js';
import { routeTable } from '../../gateway/src/facade/rest/route-table.js';
import { gql, registerAndLogin, type TestUser, unique } from './client.js';
import { type RestResponse, rest, setCookies } from './rest.js';

export const routes = routeTable({ cookies: { secure: false, refreshMaxAgeSeconds: 60 }, logoutRedirectUrl: '/' });

/** The route of the table for `METHOD /path` (Fastify syntax), failing loudly when it is missing. */
export function routeOf(method: string, path: string): RestRoute {
  const route = routes.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`no route ${method} ${path} in the route table`);
  return route;
}

const LEAK = /\n\s+at\s|node_modules|\.ts:\d+|\.js:\d+|stacktrace|syntax for type|violates|relation "|duplicate key/i;

/**
 * A success: the documented status, and the body exactly what the route's `response` schema
 * documents (parsing strips undocumented keys, so equality also proves there are none).
 * A 204 has an empty body.
 */
export function expectSuccess<T = any>(res: RestResponse, method: string, path: string): T {
  const route = routeOf(method, path);
  expect(res.status, `${method} ${path}: ${res.text}`).toBe(route.status);
  if (route.status === 204) {
    expect(res.text, `${method} ${path} answers 204 with an empty body`).toBe('');
    return undefined as T;
  }
  expect(res.headers.get('content-type') ?? '').toMatch(/application\/json/);
  expect(route.response, `${method} ${path} documents its response`).toBeDefined();
  const parsed = route.response!.safeParse(res.body);
  expect(
    parsed.success,
    `${method} ${path} body does not match its documented schema: ${JSON.stringify(parsed.error?.issues)} body=${res.text}`,
  ).toBe(true);
  expect(parsed.data, `${method} ${path} answers only documented fields`).toEqual(res.body);
  return res.body as T;
}

/** The REST error shape: `{ code, message, requestId, details? }`, the expected status, no internals. */
export function expectError(res: RestResponse, status: number, code: string, label = '') {
  const context = `${label} ${res.status} ${res.text}`;
  expect(res.status, context).toBe(status);
  expect(res.headers.get('content-type') ?? '', context).toMatch(/application\/json/);
  expect(res.body, context).toEqual(expect.objectContaining({ code, message: expect.any(String), requestId: expect.any(String) }));
  expect(res.body.message.length, context).toBeGreaterThan(0);
  expect(res.body.requestId.length, context).toBeGreaterThan(0);
  expect(res.headers.get('x-request-id'), context).toBe(res.body.requestId);
  for (const key of Object.keys(res.body)) expect(['code', 'message', 'requestId', 'details'], context).toContain(key);
  expect(res.text, `${context}: leaks internals`).not.toMatch(LEAK);
  expect(JSON.stringify(res.body.details ?? {}), context).not.toMatch(/"stack"|"exception"/);
}

/** 400 VALIDATION_ERROR naming exactly these fields in `details.validationErrors[].field`. */
export function expectInvalid(res: RestResponse, fields: string[], label = '') {
  expectError(res, 400, 'VALIDATION_ERROR', label);
  const listed = (res.body.details?.validationErrors ?? []) as { field: string; message: string }[];
  expect(listed.length, `${label} ${res.text}`).toBeGreaterThan(0);
  for (const entry of listed) {
    expect(typeof entry.field, `${label} ${res.text}`).toBe('string');
    expect(typeof entry.message, `${label} ${res.text}`).toBe('string');
  }
  expect([...new Set(listed.map((e) => e.field))].sort(), `${label} ${res.text}`).toEqual([...new Set(fields)].sort());
}

/** A token that looks like a JWT for `userId` but is not signed by the auth service (alg none). */
export function unsignedToken(userId: string) {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, iat: now, exp: now + 600, scope: 'user' })}.`;
}

/** A real access token with its payload changed to claim `userId` (the signature no longer matches). */
export function tamperedToken(realToken: string, userId: string) {
  const [header, payload, signature] = realToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  return `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: userId })).toString('base64url')}.${signature}`;
}

/**
 * Missing credentials, a garbage Bearer token, an unsigned token, a tampered token and forged
 * cookies: each is 401 UNAUTHENTICATED in the REST error shape.
 */
export async function expectUnauthenticated(method: string, path: string, victim: TestUser, body?: unknown) {
  const attempts: [string, Parameters<typeof rest>[2]][] = [
    ['no credentials', {}],
    ['garbage bearer', { token: 'not-a-jwt' }],
    ['garbage bearer (3 parts)', { token: 'aaa.bbb.ccc' }],
    ['unsigned bearer', { token: unsignedToken(victim.id) }],
    ['tampered bearer', { token: tamperedToken(victim.accessToken, victim.id.replace(/^.{8}/, '00000000')) }],
    ['forged cookie', { cookie: 'access_token=forged.token.value' }],
    ['unsigned cookie', { cookie: `access_token=${unsignedToken(victim.id)}` }],
    ['tampered cookie', { cookie: `access_token=${tamperedToken(victim.accessToken, victim.id.replace(/^.{8}/, '00000000'))}` }],
    ['empty cookie', { cookie: 'access_token=' }],
  ];
  for (const [label, options] of attempts) {
    const res = await rest(method, path, { ...options, ...(body !== undefined ? { body } : {}) });
    expectError(res, 401, 'UNAUTHENTICATED', `${method} ${path} with ${label}:`);
  }
}

/** A REST client bound to one user's Bearer token. */
export function client(user: { accessToken: string }) {
  const call = (method: string, path: string, body?: unknown) =>
    rest(method, path, { token: user.accessToken, ...(body !== undefined ? { body } : {}) });
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown) => call('POST', path, body),
    patch: (path: string, body?: unknown) => call('PATCH', path, body),
    del: (path: string) => call('DELETE', path),
  };
}

/** Runs a route's own GraphQL operation on /graphql with the variables the route would build. */
export async function graphqlOf(
  route: RestRoute,
  input: { params?: unknown; query?: unknown; body?: unknown },
  user: { accessToken: string },
) {
  const parse = (schema: RestRoute['params'], value: unknown) => (schema ? schema.parse(value ?? {}) : value);
  const variables = route.variables({
    params: parse(route.params, input.params),
    query: parse(route.query, input.query),
    body: parse(route.body, input.body),
    cookies: {},
  });
  const res = await gql(route.operation.document, variables, { token: user.accessToken });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
  return res.body.data!;
}

/** Registers and signs in through REST; returns the `access_token` cookie (BFF mode) and the user. */
export async function cookieSession(prefix = 'cookie') {
  const username = unique(prefix).slice(0, 30);
  const account = { username, email: `${username}@example.com`, password: `pw-${unique('p')}-7` };
  const reg = await rest('POST', '/api/auth/register', { body: account });
  expect(reg.status, reg.text).toBe(201);
  const login = await rest('POST', '/api/auth/login', { body: { usernameOrEmail: username, password: account.password } });
  expect(login.status, login.text).toBe(200);
  const { access_token } = setCookies(login.headers);
  expect(access_token?.value).toBeTruthy();
  return { userId: reg.body.id as string, cookie: `access_token=${access_token.value}` };
}

/** Two fresh users at once. */
export const twoUsers = (prefix: string) => Promise.all([registerAndLogin(`${prefix}a`), registerAndLogin(`${prefix}b`)]);

export const NIL = '00000000-0000-4000-8000-000000000000';
/** Path ids that are not UUIDs (URL-safe). */
export const BAD_IDS = ['not-a-uuid', '123', '00000000-0000-4000-8000-00000000000g', encodeURIComponent("1' or '1'='1")];
/** Date-times that are not RFC 3339 (missing offset, date only, free text, epoch number as text). */
export const BAD_TIMES = ['2026-03-02', '2026-03-02 07:00:00Z', '2026-03-02T07:00:00', 'yesterday', '1772434800', '2026-13-02T07:00:00Z'];
/** Query values for limit / offset that are not accepted. */
export const BAD_LIMITS = ['0', '101', '-1', '1.5', 'ten', '', '1e2'];
/** (GraphQL `Int` is 32-bit: an offset beyond it must be refused by name, not by the operation.) */
export const BAD_OFFSETS = ['-1', '1.5', 'x', '', '1e2', '2147483648', '99999999999999999999'];

/** An ISO time `minutes` after `base` (ms). */
export const at = (base: number, minutes: number) => new Date(base + minutes * 60_000).toISOString();
