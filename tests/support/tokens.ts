/**
 * Helpers for the auth and token system tests: a GraphQL call that also checks no error leaks
 * internals, read-only access to the auth schema in Postgres, and JWT decoding / minting.
 */

import {
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from 'jose';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { type GraphQLResult, gql, type RequestOptions } from './client.js';

export const ME = `{ me { id } }`;
export const REFRESH = `mutation Refresh($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken tokenType expiresIn user { id } } }`;
export const LOGOUT = `mutation Logout($refreshToken: String) { logout(refreshToken: $refreshToken) }`;
export const ROTATE = `mutation Rotate { rotateSigningKey }`;

/** Fails when any error of a response carries a stack trace or exception details. */
export function expectNoStackTraces(result: GraphQLResult) {
  for (const error of result.body.errors ?? []) {
    expect(error.extensions ?? {}, `error "${error.message}" leaks internals`).not.toHaveProperty('stacktrace');
    expect(error.extensions ?? {}).not.toHaveProperty('exception');
    expect(error.message).not.toMatch(/\n\s+at\s/);
  }
}

/** `gql` plus `expectNoStackTraces`: what every call in the auth tests goes through. */
export async function call<T extends Record<string, any> = Record<string, any>>(
  query: string,
  variables?: Record<string, unknown>,
  options?: RequestOptions,
) {
  const result = await gql<T>(query, variables, options);
  expectNoStackTraces(result);
  return result;
}

/** The first error, asserted to exist. */
export function firstError(result: GraphQLResult) {
  expect(result.body.errors, `expected an error, got ${JSON.stringify(result.body)}`).toBeDefined();
  return result.body.errors![0];
}

/** Asserts the response is exactly one error with this code, and returns it. */
export function expectError(result: GraphQLResult, code: string) {
  const error = firstError(result);
  expect(error.extensions?.code, JSON.stringify(result.body)).toBe(code);
  return error;
}

/** Asserts an UNAUTHENTICATED refusal at the gateway's door (HTTP 401, no data). */
export function expectRefused(result: GraphQLResult) {
  expectError(result, 'UNAUTHENTICATED');
  expect(result.status).toBe(401);
  expect(result.body.data ?? null).toBeNull();
}

// ---------- database (read-only) ----------

/** A pool on the database the platform under test uses; only ever used to read. Close it in `afterAll`. */
export function openDatabase() {
  return new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
}

export async function countUsers(db: pg.Pool, where: { username?: string; email?: string }) {
  const { rows } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM auth.users WHERE username_key = lower($1) OR email = lower($2)',
    [where.username ?? null, where.email ?? null],
  );
  return Number(rows[0].n);
}

/**
 * The private half of a signing key, read straight from `auth.signing_keys`. No public surface
 * hands it out (as it should be), so this is the only way to mint tokens that carry a real kid
 * and a valid signature but a defect in one claim (expired, wrong aud, ...), and so prove that
 * each claim check itself refuses them.
 */
export async function signingKey(db: pg.Pool, kid: string): Promise<CryptoKey> {
  const { rows } = await db.query<{ private_jwk: JWK }>('SELECT private_jwk FROM auth.signing_keys WHERE kid = $1', [kid]);
  if (!rows[0]) throw new Error(`no signing key ${kid}`);
  return (await importJWK(rows[0].private_jwk, 'ES256')) as CryptoKey;
}

// ---------- JWTs ----------

export const decode = (token: string) => ({ header: decodeProtectedHeader(token), claims: decodeJwt(token) });

/** Signs `claims` exactly as given (no defaults added), with the given header and key. */
export function mint(claims: JWTPayload, header: JWTHeaderParameters, key: CryptoKey | Uint8Array) {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`); jose refuses to build one with a kid, so it is put together by hand. */
export const unsignedToken = (header: Record<string, unknown>, claims: JWTPayload) =>
  `${b64url({ ...header, alg: 'none' })}.${b64url(claims)}.`;

export const now = () => Math.floor(Date.now() / 1000);

export async function fetchJwks(): Promise<{ keys: JWK[] }> {
  const res = await fetch(`${inject('urls').auth}/.well-known/jwks.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as { keys: JWK[] };
}
