/**
 * Postgres stopped (fast shutdown) and Postgres hung (every process SIGSTOPped) under a running
 * platform on a throwaway cluster of its own: GraphQL and REST answer 503 SERVICE_UNAVAILABLE with
 * a Retry-After within the time limits, readiness says which subgraphs lost their database, a
 * write refused during the outage is not in the database afterwards, and the platform recovers
 * once Postgres is back, without a restart.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, gql } from './support/client.js';
import { expectUnavailable, within as withinLimit } from './support/faults/expectations.js';
import { type FaultPlatform, type FaultUser, registerOn, startFaultPlatform } from './support/faults/in-process-platform.js';
import { type PrivatePostgres, startPrivatePostgres } from './support/faults/index.js';

let postgres: PrivatePostgres;
let platform: FaultPlatform;
let user: FaultUser;

/** Every answer within this long: the database limits below (2 s to connect, 1.5 s + 2 s per statement) with room. */
const ANSWER_WITHIN_MS = 8_000;
const within = <T>(promise: Promise<T>) => withinLimit(ANSWER_WITHIN_MS, promise);

const ME = '{ me { id username } }';
/** Read from the workouts database on every call (no cache in front of it). */
const WORKOUTS = '{ workouts(limit: 1) { total } }';
const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { id } }';
const ask = (query: string, variables?: Record<string, unknown>, token?: string) =>
  within(gql(query, variables, { url: `${platform.gatewayBase}/graphql`, ...(token ? { token } : {}) }));

async function accountsNamed(username: string): Promise<number> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return (await client.query('select count(*)::int as n from auth.users where username = $1', [username])).rows[0].n;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  platform = await startFaultPlatform({ DATABASE_URL: postgres.url, DB_STATEMENT_TIMEOUT_MS: '1500', DB_POOL_MAX: '4' });
  user = await registerOn(platform, 'pgfault');
}, 120_000);

afterAll(async () => {
  postgres?.server.thaw();
  await platform?.close();
  await postgres?.dispose();
});

async function duringOutage(label: string) {
  expectUnavailable(await ask(WORKOUTS, undefined, user.accessToken));

  const restWorkouts = await within(
    fetch(`${platform.gatewayBase}/api/workouts`, { headers: { authorization: `Bearer ${user.accessToken}` } }),
  );
  expect(restWorkouts.status).toBe(503);
  expect(restWorkouts.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(await restWorkouts.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });

  const username = `pg${label}_${randomBytes(4).toString('hex')}`;
  expectUnavailable(await ask(REGISTER, { i: { username, email: `${username}@example.com`, password: 'pg-outage-pw-9' } }));

  const health = await within(fetch(`${platform.gatewayBase}/health`));
  expect(health.status).toBe(503);
  const report = await health.json();
  expect(report.status).toBe('unhealthy');
  for (const name of ['auth', 'users', 'workouts', 'catalog', 'orders', 'relationship-map']) {
    expect(report.checks[`subgraph:${name}`], name).toMatchObject({ status: 'down', detail: expect.stringContaining('database') });
  }
  expect(await (await within(fetch(`${platform.gatewayBase}/healthz`))).text()).toBe('ok');
  return username;
}

async function recovered(refusedUsername: string) {
  await eventually(
    async () =>
      (await gql(WORKOUTS, undefined, { url: `${platform.gatewayBase}/graphql`, token: user.accessToken })).body.data?.workouts?.total ===
      0,
    20_000,
    200,
  );
  await eventually(async () => (await fetch(`${platform.gatewayBase}/health`)).status === 200, 20_000, 200);
  // The refused registration left nothing: the name is free and takes exactly one account.
  expect(await accountsNamed(refusedUsername)).toBe(0);
  const again = await ask(REGISTER, {
    i: { username: refusedUsername, email: `${refusedUsername}@example.com`, password: 'pg-outage-pw-9' },
  });
  expect(again.body.data?.register.id, JSON.stringify(again.body)).toBeTruthy();
  expect(await accountsNamed(refusedUsername)).toBe(1);
}

describe('Postgres failing under a running platform', () => {
  it("stopped: 503 on GraphQL and REST, readiness names each subgraph's database, nothing written, recovers when started", async () => {
    expect((await ask(ME, undefined, user.accessToken)).body.data?.me.id).toBe(user.id);
    await postgres.server.stop();
    const refused = await duringOutage('stop');
    await postgres.server.start();
    await recovered(refused);
  });

  it('hung (every Postgres process stopped, connections open): the same within the time limits, and recovers when it resumes', async () => {
    expect((await ask(ME, undefined, user.accessToken)).body.data?.me.id).toBe(user.id);
    postgres.server.freeze();
    let refused: string;
    try {
      refused = await duringOutage('freeze');
    } finally {
      postgres.server.thaw();
    }
    await recovered(refused);
  });

  it('shuts down cleanly after the outages: no transaction caught by them kept its pool connection', async () => {
    // Kysely gives a transaction's connection back only when its BEGIN/COMMIT/ROLLBACK succeed;
    // one kept would make the pool's end (and so close()) wait forever.
    const closing = platform.close();
    await expect(
      Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still closing after 15 s'), 15_000).unref())]),
    ).resolves.toBe('closed');
  });
});
