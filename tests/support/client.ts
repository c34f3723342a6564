import { randomBytes } from 'node:crypto';
import { expect, inject } from 'vitest';
import { subgraphUrlEnv } from '../../gateway/src/config.js';
import { testAdmin } from './env.js';

export const gatewayUrl = () => inject('gatewayUrl');
export const serviceUrl = (name: string) => inject('urls')[name];

/** A name no other test (or earlier run) has used. */
export const unique = (prefix = 'u') => `${prefix}_${randomBytes(6).toString('hex')}`;

export interface GraphQLResult<T = Record<string, any>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
}

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  url?: string;
}

/** POSTs one GraphQL operation (to the gateway unless `url` says otherwise). */
export async function gql<T = Record<string, any>>(
  query: string,
  variables?: Record<string, unknown>,
  options: RequestOptions = {},
): Promise<GraphQLResult<T>> {
  const res = await fetch(options.url ?? gatewayUrl(), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: GraphQLResult<T>['body'];
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`non-JSON response (${res.status}): ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body };
}

/** The first error's code, for the many tests that only care about that. */
export const errorCode = (result: GraphQLResult) => result.body.errors?.[0]?.extensions?.code;

export const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { id username email createdAt } }`;
export const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { accessToken refreshToken tokenType expiresIn user { id username email } } }`;

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a fresh user through the gateway and logs them in. */
export async function registerAndLogin(prefix = 'user'): Promise<TestUser> {
  const username = unique(prefix).slice(0, 32);
  const email = `${username}@example.com`;
  const password = `pw-${randomBytes(6).toString('hex')}-9`;
  const reg = await gql(REGISTER, { input: { username, email, password } });
  if (!reg.body.data?.register) throw new Error(`register failed: ${JSON.stringify(reg.body)}`);
  const { accessToken, refreshToken } = await loginAs(username, password);
  return { id: reg.body.data.register.id, username, email, password, accessToken, refreshToken };
}

export async function loginAs(usernameOrEmail: string, password: string) {
  const res = await gql(LOGIN, { input: { usernameOrEmail, password } });
  if (!res.body.data?.login) throw new Error(`login failed: ${JSON.stringify(res.body)}`);
  return res.body.data.login as { accessToken: string; refreshToken: string; user: { id: string } };
}

export const loginAdmin = () => loginAs(testAdmin.username, testAdmin.password);

/** Polls until `check` returns a truthy value (events are asynchronous). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}

/** Settings for an extra gateway or subgraph replica in a test: the running platform's subgraphs and JWKS. */
export function platformEnv(): Record<string, string> {
  const { gateway: _gateway, ...subgraphs } = inject('urls');
  return { ...inject('env'), AUTH_JWKS_URL: `${subgraphs.auth}/.well-known/jwks.json`, ...subgraphUrlEnv(subgraphs) };
}

/** No error of any response may carry a stack trace or exception details. */
export function expectNoLeaks(result: GraphQLResult) {
  for (const error of result.body.errors ?? []) {
    expect(error.extensions ?? {}, `error "${error.message}" leaks internals`).not.toHaveProperty('stacktrace');
    expect(error.extensions ?? {}).not.toHaveProperty('exception');
    expect(error.message).not.toMatch(/\n\s+at\s|node_modules|\.ts:\d+/);
  }
}

/** `gql`, checking that no error leaks internals. */
export async function call(query: string, variables?: Record<string, unknown>, options?: RequestOptions) {
  const result = await gql(query, variables, options);
  expectNoLeaks(result);
  return result;
}
