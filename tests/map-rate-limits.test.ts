/**
 * Seed 004's per-user quotas (section 4) through two gateway replicas: the shared test gateway
 * and one started here over the same Redis. REST routes and their GraphQL fields count against
 * one counter per user; X-RateLimit-* describe the quota; past it 429 / RATE_LIMIT_EXCEEDED with
 * retryAfter, and nothing is written.
 */
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gql, platformEnv, registerAndLogin, type TestUser } from './support/client.js';
import { GENERATE, nodes, relationshipMapRows } from './support/map.js';
import { type RestResponse, rest } from './support/rest.js';

let second: GatewayService;
let secondBase: string;
let db: pg.Pool;

beforeAll(async () => {
  second = await buildGateway({ config: loadGatewayConfig(platformEnv()) });
  secondBase = `http://127.0.0.1:${await second.listen(0, '127.0.0.1')}`;
  db = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
});
afterAll(async () => {
  await second?.close();
  await db?.end();
});

/** A REST call to one of the two replicas. */
async function restVia(replica: 'first' | 'second', method: string, path: string, user: TestUser, body?: unknown): Promise<RestResponse> {
  if (replica === 'first') return rest(method, path, { token: user.accessToken, body });
  const res = await fetch(`${secondBase}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.accessToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : text };
}
const gqlVia = (replica: 'first' | 'second', query: string, variables: Record<string, unknown>, user: TestUser) =>
  gql(query, variables, { token: user.accessToken, url: replica === 'first' ? undefined : `${secondBase}/graphql` });

const limitHeaders = (h: Headers) => ({
  limit: Number(h.get('x-ratelimit-limit')),
  remaining: Number(h.get('x-ratelimit-remaining')),
  reset: Number(h.get('x-ratelimit-reset')),
});
const nowSeconds = () => Math.floor(Date.now() / 1000);

function expectRefused(res: RestResponse) {
  expect(res.status, res.text).toBe(429);
  expect(res.body.code).toBe('RATE_LIMIT_EXCEEDED');
  expect(res.body.details.retryAfter).toBeGreaterThan(0);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(limitHeaders(res.headers).remaining).toBe(0);
}

describe('seed 004 quotas, shared by two gateway replicas', () => {
  it('aggregate-signals: 10 per hour, REST and GraphQL on either replica share one counter', async () => {
    const user = await registerAndLogin('rlq');
    const bystander = await registerAndLogin('rlq');
    const remaining: number[] = [];
    for (let i = 0; i < 10; i++) {
      const replica = i % 2 ? 'second' : 'first';
      if (i % 3 === 2) {
        const res = await gqlVia(replica, `{ aggregateSignals { postCount } }`, {}, user);
        // Facebook is not configured in the shared platform: the call is counted all the same.
        expect(res.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
        remaining.push(Number(res.headers.get('x-ratelimit-remaining')));
        expect(res.headers.get('x-ratelimit-limit')).toBe('10');
      } else {
        const res = await restVia(replica, 'GET', '/api/facebook/aggregate-signals', user);
        expect(res.status).toBe(503);
        const h = limitHeaders(res.headers);
        expect(h.limit).toBe(10);
        // Hourly windows: the reset is within the next hour, on the hour.
        expect(h.reset).toBeGreaterThan(nowSeconds());
        expect(h.reset - nowSeconds()).toBeLessThanOrEqual(3600);
        expect(h.reset % 3600).toBe(0);
        remaining.push(h.remaining);
      }
    }
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expectRefused(await restVia('second', 'GET', '/api/facebook/aggregate-signals', user));
    expectRefused(await restVia('first', 'GET', '/api/facebook/aggregate-signals', user));
    const viaGraphql = await gqlVia('first', `{ aggregateSignals { postCount } }`, {}, user);
    expect(viaGraphql.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', retryAfter: expect.any(Number) });
    // Another user, and other operations of this one, are not held back by it.
    expect((await restVia('first', 'GET', '/api/facebook/aggregate-signals', bystander)).status).toBe(503);
    expect((await restVia('first', 'GET', '/api/map/observation-text', user)).status).toBe(200);
  });

  it('map generation: 100 per day; the 101st is refused on either replica and writes nothing', async () => {
    const user = await registerAndLogin('rlg');
    const body = { nodes: nodes(2).map((n) => ({ id: n.id, label: n.label })) };
    for (let batch = 0; batch < 10; batch++) {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 4 === 3
            ? gqlVia(i % 2 ? 'second' : 'first', GENERATE, { input: { nodes: body.nodes } }, user).then((r) => (r.body.errors ? 500 : 200))
            : restVia(i % 2 ? 'second' : 'first', 'POST', '/api/map/generate', user, body).then((r) => r.status),
        ),
      );
      expect(results).toEqual(Array(10).fill(200));
    }
    const refused = await restVia('second', 'POST', '/api/map/generate', user, body);
    expectRefused(refused);
    const h = limitHeaders(refused.headers);
    expect(h.limit).toBe(100);
    expect(h.reset % 86_400).toBe(0);
    const viaGraphql = await gqlVia('first', GENERATE, { input: { nodes: body.nodes } }, user);
    expect(viaGraphql.status).toBe(429);
    expect(viaGraphql.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMIT_EXCEEDED');
    expect((await relationshipMapRows(db, user.id)).relationship_maps).toBe(100);
  });

  it('every other seed 004 route: 1000 per day in one counter (GET /api/users/me included); GraphQL me is not counted', async () => {
    const user = await registerAndLogin('rlo');
    let last: RestResponse | undefined;
    for (let batch = 0; batch < 49; batch++) {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          restVia(i % 2 ? 'second' : 'first', 'GET', i % 5 ? '/api/map/observation-text' : '/api/users/me', user),
        ),
      );
      for (const res of results) expect(res.status).toBe(200);
      last = results.find((r) => r.headers.get('x-ratelimit-limit') === '1000');
    }
    expect(last).toBeDefined();
    const preferences = await restVia('first', 'PATCH', '/api/users/me/preferences', user, { maxNodes: 9 });
    expect(limitHeaders(preferences.headers)).toMatchObject({ limit: 1000, remaining: 19 });
    await Promise.all(Array.from({ length: 19 }, (_, i) => restVia(i % 2 ? 'second' : 'first', 'GET', '/api/map/observation-text', user)));
    expectRefused(await restVia('first', 'GET', '/api/map/observation-text', user));
    expectRefused(await restVia('second', 'PATCH', '/api/users/me/preferences', user, { maxNodes: 6 }));
    expectRefused(await restVia('second', 'GET', '/api/users/me', user));
    const viaGraphql = await gqlVia('first', `{ observationTextTemplates { near } }`, {}, user);
    expect(viaGraphql.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMIT_EXCEEDED');
    // `me` itself is the whole platform's, not seed 004's: it is not counted.
    expect((await gqlVia('second', `{ me { id mapPreferences { maxNodes } } }`, {}, user)).body.data?.me).toEqual({
      id: user.id,
      mapPreferences: { maxNodes: 9 },
    });
  });
});
