import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { graphql, printTable, type PlatformProcess } from './lib.js';

const LIST_WORKOUTS = `query ListWorkouts($from: DateTime, $to: DateTime, $limit: Int, $offset: Int) { workouts(from: $from, to: $to, limit: $limit, offset: $offset) { items { id startedAt endedAt note createdAt updatedAt } total limit offset } }`;

async function measure(name: string, opts: autocannon.Options) {
  await autocannon({ ...opts, duration: 1 });
  const r = await autocannon(opts);
  return { name, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

/** `GET /api/workouts` through the REST facade against the same GraphQL operation on `/graphql`, runs alternated. */
export async function benchRestFacade(platform: PlatformProcess, seconds: number) {
  const username = `bench_${randomBytes(4).toString('hex')}`;
  const password = `bench-${randomBytes(6).toString('hex')}-1`;
  await graphql(platform.gatewayUrl, 'mutation($i: RegisterInput!) { register(input: $i) { id } }', { i: { username, email: `${username}@example.com`, password } });
  const { login } = await graphql(platform.gatewayUrl, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { usernameOrEmail: username, password } });
  const token = login.accessToken;
  for (let i = 0; i < 20; i++) {
    await graphql(platform.gatewayUrl, 'mutation($i: CreateWorkoutInput!) { createWorkout(input: $i) { id } }', { i: { startedAt: new Date(Date.now() - i * 86_400_000).toISOString(), note: `bench ${i}` } }, token);
  }
  const headers = { authorization: `Bearer ${token}` };
  const restOpts: autocannon.Options = { url: `${platform.urls.gateway}/api/workouts?limit=20`, headers, connections: 16, duration: seconds };
  const gqlOpts: autocannon.Options = {
    url: platform.gatewayUrl,
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ query: LIST_WORKOUTS, operationName: 'ListWorkouts', variables: { limit: 20 } }),
    connections: 16,
    duration: seconds,
  };
  // Alternate the two so drift on the machine (JIT, GC, other load) hits both alike.
  const runs: Record<string, Awaited<ReturnType<typeof measure>>[]> = { rest: [], graphql: [] };
  for (let round = 0; round < 2; round++) {
    runs.rest.push(await measure('REST GET /api/workouts', restOpts));
    runs.graphql.push(await measure('GraphQL ListWorkouts on /graphql', gqlOpts));
  }
  const summarise = (list: typeof runs.rest) => ({
    rps: Math.round(list.reduce((s, r) => s + r.rps, 0) / list.length),
    p50: Math.max(...list.map((r) => r.p50)),
    p99: Math.max(...list.map((r) => r.p99)),
    errors: list.reduce((s, r) => s + r.errors, 0),
  });
  const restSummary = summarise(runs.rest);
  const gqlSummary = summarise(runs.graphql);
  const rows = [
    { scenario: 'REST GET /api/workouts (facade, in-process execution)', 'req/s': restSummary.rps, 'p50 ms': restSummary.p50, 'p99 ms': restSummary.p99, errors: restSummary.errors },
    { scenario: 'GraphQL ListWorkouts via POST /graphql', 'req/s': gqlSummary.rps, 'p50 ms': gqlSummary.p50, 'p99 ms': gqlSummary.p99, errors: gqlSummary.errors },
  ];
  printTable(`REST facade vs GraphQL, 20 workouts per page (16 connections, 2 alternated rounds; REST/GraphQL req/s ratio ${(restSummary.rps / gqlSummary.rps).toFixed(2)})`, rows);
  return rows;
}
