import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { alternate, graphql, type PlatformProcess, printTable } from './lib.js';

const LIST_WORKOUTS = `query ListWorkouts($from: DateTime, $to: DateTime, $limit: Int, $offset: Int) { workouts(from: $from, to: $to, limit: $limit, offset: $offset) { items { id startedAt endedAt note createdAt updatedAt } total limit offset } }`;

/** `GET /api/workouts` through the REST facade against the same GraphQL operation on `/graphql`, runs alternated. */
export async function benchRestFacade(platform: PlatformProcess, seconds: number) {
  const username = `bench_${randomBytes(4).toString('hex')}`;
  const password = `bench-${randomBytes(6).toString('hex')}-1`;
  await graphql(platform.gatewayUrl, 'mutation($i: RegisterInput!) { register(input: $i) { id } }', {
    i: { username, email: `${username}@example.com`, password },
  });
  const { login } = await graphql(platform.gatewayUrl, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', {
    i: { usernameOrEmail: username, password },
  });
  const token = login.accessToken;
  for (let i = 0; i < 20; i++) {
    await graphql(
      platform.gatewayUrl,
      'mutation($i: CreateWorkoutInput!) { createWorkout(input: $i) { id } }',
      { i: { startedAt: new Date(Date.now() - i * 86_400_000).toISOString(), note: `bench ${i}` } },
      token,
    );
  }
  const headers = { authorization: `Bearer ${token}` };
  const restOpts: autocannon.Options = {
    url: `${platform.urls.gateway}/api/workouts?limit=20`,
    headers,
    connections: 16,
    duration: seconds,
  };
  const gqlOpts: autocannon.Options = {
    url: platform.gatewayUrl,
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ query: LIST_WORKOUTS, operationName: 'ListWorkouts', variables: { limit: 20 } }),
    connections: 16,
    duration: seconds,
  };
  const [restSummary, gqlSummary] = await alternate([restOpts, gqlOpts], 2);
  const rows = [
    {
      scenario: 'REST GET /api/workouts (facade, in-process execution)',
      'req/s': restSummary.rps,
      'p50 ms': restSummary.p50,
      'p99 ms': restSummary.p99,
      errors: restSummary.errors,
    },
    {
      scenario: 'GraphQL ListWorkouts via POST /graphql',
      'req/s': gqlSummary.rps,
      'p50 ms': gqlSummary.p50,
      'p99 ms': gqlSummary.p99,
      errors: gqlSummary.errors,
    },
  ];
  printTable(
    `REST facade vs GraphQL, 20 workouts per page (16 connections, 2 alternated rounds; REST/GraphQL req/s ratio ${(restSummary.rps / gqlSummary.rps).toFixed(2)})`,
    rows,
  );
  return rows;
}
