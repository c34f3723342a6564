/**
 * Redis killed, and Redis hung (SIGSTOP: connections open, no answers), under a running platform
 * (a private redis-server). Caches are an optimisation: the catalog reads from its database and
 * the gateway counts request limits in its own memory, both counted in /metrics, so public reads
 * go on. Whatever needs shared security state (the token's revocation, the login lockout) answers
 * 503 SERVICE_UNAVAILABLE with retryAfter within the time limit instead of hanging, of letting a
 * request through unchecked, or of calling a good token bad. Nothing is written during the
 * outage, and everything recovers without a restart.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, gql } from './support/client.js';
import { expectUnavailable, within as withinLimit } from './support/faults/expectations.js';
import { type FaultPlatform, type FaultUser, registerOn, startFaultPlatform } from './support/faults/in-process-platform.js';
import { type PrivateRedis, startPrivateRedis } from './support/faults/index.js';

let redis: PrivateRedis;
let platform: FaultPlatform;
let user: FaultUser;
let db: pg.Pool;

/** No call may hang: an answer (of any kind) within this long, or the test fails. */
const ANSWER_WITHIN_MS = 5_000;
const within = <T>(promise: Promise<T>) => withinLimit(ANSWER_WITHIN_MS, promise);

const ME = '{ me { id username profile { displayName } } }';
const PRODUCTS = '{ products(limit: 3) { id name } }';
/** Read through the catalog's two-level cache (the category list). */
const CATEGORIES = '{ categories { id name } }';
const UPDATE_PROFILE = 'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { profile { displayName } } }';

const viaGateway = (query: string, variables?: Record<string, unknown>, token?: string) =>
  within(gql(query, variables, { url: `${platform.gatewayBase}/graphql`, ...(token ? { token } : {}) }));

const displayNames = async () =>
  (await db.query('select display_name from users.profiles where user_id = $1', [user.id])).rows.map((r) => r.display_name);
/** The sum of `cache_fallbacks_total` for one cache in a service's /metrics. */
const fallbacks = async (base: string, cache: string) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^cache_fallbacks_total\\{[^}]*cache="${cache}"[^}]*\\} (\\d+)`, 'gm'))].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
};

beforeAll(async () => {
  redis = await startPrivateRedis();
  // No in-process copy: every catalog read goes to the shared cache, so its failures show.
  platform = await startFaultPlatform({ REDIS_URL: redis.url, CATALOG_LOCAL_TTL: '0' });
  db = new pg.Pool({ connectionString: platform.env.DATABASE_URL, max: 2 });
  db.on('error', () => {}); // an idle connection ended by the server is not a test failure
  user = await registerOn(platform, 'redisfault');
}, 90_000);

afterAll(async () => {
  // Our pool first: closing the platform drops its database, connections and all.
  await db?.end();
  await platform?.close();
  await redis?.server.dispose();
});

async function duringOutage(label: string) {
  const fallbacksBefore = await fallbacks(platform.urls.catalog, 'catalog');

  // Public reads through the gateway: the catalog answers from its database, and the request
  // limit is counted in the gateway's memory meanwhile (never skipped); both are counted.
  const gatewayFallbacksBefore = await fallbacks(platform.gatewayBase, 'rate-limit');
  for (const query of [CATEGORIES, PRODUCTS]) {
    const read = await viaGateway(query);
    expect(read.body.errors, `${label}: ${JSON.stringify(read.body)}`).toBeUndefined();
    expect(read.status).toBe(200);
  }
  // The gateway may answer these from its own memory of the catalog's answers: ask the catalog itself too.
  for (const query of [CATEGORIES, PRODUCTS]) {
    const direct = await fetch(`${platform.urls.catalog}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    expect(direct.status).toBe(200);
  }
  expect(await fallbacks(platform.urls.catalog, 'catalog')).toBeGreaterThan(fallbacksBefore);
  // The limiter counts in memory and syncs every 100 ms: the failed sync (after its 1 s time limit) is what is counted.
  await expect.poll(() => fallbacks(platform.gatewayBase, 'rate-limit'), { timeout: 5_000 }).toBeGreaterThan(gatewayFallbacksBefore);

  // The token may be fine; whether it was revoked cannot be known: 503, not 401.
  expectUnavailable(await viaGateway(ME, undefined, user.accessToken));
  const restMe = await within(fetch(`${platform.gatewayBase}/api/me`, { headers: { authorization: `Bearer ${user.accessToken}` } }));
  expect(restMe.status).toBe(503);
  expect(restMe.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(await restMe.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryAfter: expect.any(Number) } });

  // The login lockout is security state too: auth refuses to check a password it cannot count.
  const login = await within(
    gql(
      'mutation($i: LoginInput!) { login(input: $i) { accessToken } }',
      { i: { usernameOrEmail: user.username, password: user.password } },
      { url: `${platform.urls.auth}/graphql` },
    ),
  );
  expect(login.body.data?.login ?? null).toBeNull();
  expect(login.body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) });

  // A write refused during the outage leaves nothing behind.
  expectUnavailable(await viaGateway(UPDATE_PROFILE, { i: { displayName: `during-${label}` } }, user.accessToken));
  expect(await displayNames()).not.toContain(`during-${label}`);

  // Readiness says why (503, the cache down); liveness stays ok.
  const health = await within(fetch(`${platform.gatewayBase}/health`));
  expect(health.status).toBe(503);
  expect(await health.json()).toMatchObject({ status: 'unhealthy', checks: { cache: { status: 'down' } } });
  expect(await (await within(fetch(`${platform.gatewayBase}/healthz`))).text()).toBe('ok');
}

async function recovered(label: string) {
  await eventually(
    async () =>
      (await gql(ME, undefined, { url: `${platform.gatewayBase}/graphql`, token: user.accessToken })).body.data?.me?.id === user.id,
    15_000,
    200,
  );
  const updated = await viaGateway(UPDATE_PROFILE, { i: { displayName: `after-${label}` } }, user.accessToken);
  expect(updated.body.data?.updateProfile.profile.displayName).toBe(`after-${label}`);
  expect(await displayNames()).toEqual([`after-${label}`]);
  await eventually(async () => (await fetch(`${platform.gatewayBase}/health`)).status === 200, 15_000, 200);
}

describe('Redis failing under a running platform', () => {
  it('killed: public reads fall back, security-dependent calls get 503 at once, nothing is written, and it recovers on restart', async () => {
    expect((await viaGateway(ME, undefined, user.accessToken)).body.data?.me.id).toBe(user.id);
    await redis.server.kill();
    await duringOutage('kill');
    await redis.server.start();
    await recovered('kill');
  });

  it('hung (connections open, no answers): the same, within the time limit rather than the TCP timeout', async () => {
    expect((await viaGateway(ME, undefined, user.accessToken)).body.data?.me.id).toBe(user.id);
    redis.server.freeze();
    try {
      await duringOutage('freeze');
    } finally {
      redis.server.thaw();
    }
    await recovered('freeze');
  });
});
