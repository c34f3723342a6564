import { randomBytes } from 'node:crypto';
import { graphql, load, printTable, type PlatformProcess } from './lib.js';

/** `me` with its profile: through the gateway against the same read sent straight to the users subgraph. */
export async function benchMe(platform: PlatformProcess, seconds: number) {
  const username = `bench_${randomBytes(4).toString('hex')}`;
  const password = `bench-${randomBytes(6).toString('hex')}-1`;
  await graphql(platform.gatewayUrl, 'mutation($i: RegisterInput!) { register(input: $i) { id } }', { i: { username, email: `${username}@example.com`, password } });
  const { login } = await graphql(platform.gatewayUrl, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { usernameOrEmail: username, password } });
  const headers = { authorization: `Bearer ${login.accessToken}` };

  const profileOnly = JSON.stringify({ query: '{ me { id profile { locale displayName } } }' });
  const withUsername = JSON.stringify({ query: '{ me { id username profile { locale displayName } } }' });
  const usersUrl = `${platform.urls.users}/graphql`;

  const direct = await load('users subgraph directly: me { id profile }', { url: usersUrl, body: profileOnly, headers, seconds });
  const gatewaySame = await load('gateway: me { id profile } (1 subgraph fetch)', { url: platform.gatewayUrl, body: profileOnly, headers, seconds });
  const gatewayFederated = await load('gateway: me { id username profile } (users + auth)', { url: platform.gatewayUrl, body: withUsername, headers, seconds });

  const rows = [direct, gatewaySame, gatewayFederated].map((r) => ({
    scenario: r.name,
    'req/s': r.requestsPerSec,
    'p50 ms': r.p50,
    'p99 ms': r.p99,
    'vs direct': `${(r.requestsPerSec / direct.requestsPerSec).toFixed(2)}x`,
    errors: r.errors + r.non2xx,
  }));
  printTable('me with its profile (16 connections)', rows);
  return rows;
}
