import { randomBytes } from 'node:crypto';
import { graphql, load, type PlatformProcess, printTable } from './lib.js';

/** `me` with its profile: through the gateway against the same read sent straight to the users subgraph. */
export async function benchMe(platform: PlatformProcess, seconds: number) {
  const username = `bench_${randomBytes(4).toString('hex')}`;
  const password = `bench-${randomBytes(6).toString('hex')}-1`;
  await graphql(platform.gatewayUrl, 'mutation($i: RegisterInput!) { register(input: $i) { id } }', {
    i: { username, email: `${username}@example.com`, password },
  });
  const { login } = await graphql(platform.gatewayUrl, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', {
    i: { usernameOrEmail: username, password },
  });
  const headers = { authorization: `Bearer ${login.accessToken}` };

  const profileOnly = JSON.stringify({ query: '{ me { id profile { locale displayName } } }' });
  const withUsername = JSON.stringify({ query: '{ me { id username profile { locale displayName } } }' });
  const usersUrl = `${platform.urls.users}/graphql`;

  const scenarios = [
    { name: 'users subgraph directly: me { id profile }', ...(await load({ url: usersUrl, body: profileOnly, headers, seconds })) },
    {
      name: 'gateway: me { id profile } (1 subgraph fetch)',
      ...(await load({ url: platform.gatewayUrl, body: profileOnly, headers, seconds })),
    },
    {
      name: 'gateway: me { id username profile } (users + auth)',
      ...(await load({ url: platform.gatewayUrl, body: withUsername, headers, seconds })),
    },
  ];
  const direct = scenarios[0];
  const rows = scenarios.map((r) => ({
    scenario: r.name,
    'req/s': r.rps,
    'p50 ms': r.p50,
    'p99 ms': r.p99,
    'vs direct': `${(r.rps / direct.rps).toFixed(2)}x`,
    errors: r.errors,
  }));
  printTable('me with its profile (16 connections)', rows);
  return rows;
}
