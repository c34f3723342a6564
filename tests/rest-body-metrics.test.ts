/**
 * REST facade, body metrics (seed 002 appendix A): list (from / to, paging), create, update,
 * delete. Every success body is checked against the route's own `response` schema; 401 for
 * missing or bad credentials; another user's metric is 404 and untouched; invalid input is 400
 * naming the field with nothing written (weightKg > 0, bodyFatPct 0..100, from <= to, RFC 3339
 * times); REST and /graphql return the same data.
 */
import { describe, expect, it } from 'vitest';
import { registerAndLogin, type TestUser } from './support/client.js';
import { rest } from './support/rest.js';
import {
  at,
  BAD_IDS,
  BAD_LIMITS,
  BAD_OFFSETS,
  BAD_TIMES,
  client,
  cookieSession,
  expectError,
  expectInvalid,
  expectSuccess,
  expectUnauthenticated,
  graphqlOf,
  NIL,
  routeOf,
  twoUsers,
} from './support/rest-workouts.js';
import { useWorkoutsDb } from './support/workouts.js';

const db = useWorkoutsDb();
const T0 = Date.parse('2026-05-01T22:00:00.000Z');

const create = async (user: TestUser, body: Record<string, unknown>) =>
  expectSuccess(await client(user).post('/api/body_metrics', body), 'POST', '/api/body_metrics');
const list = async (user: TestUser, query = '') =>
  expectSuccess(await client(user).get(`/api/body_metrics${query ? `?${query}` : ''}`), 'GET', '/api/body_metrics');
const all = async (user: TestUser) => (await list(user, 'limit=100')).items;

describe('POST /api/body_metrics', () => {
  it('201 with the metric (documented schema), stored exactly as given for the caller', async () => {
    const user = await registerAndLogin('rbmcreate');
    const created = await create(user, { measuredAt: '2026-05-02T07:00:00+09:00', weightKg: 62.5, bodyFatPct: 18.25, note: 'morning' });
    expect(created).toEqual({ id: created.id, measuredAt: '2026-05-01T22:00:00.000Z', weightKg: 62.5, bodyFatPct: 18.25, note: 'morning' });
    expect(await db.bodyMetric(created.id)).toMatchObject({ user_id: user.id, note: 'morning' });
    expect(await create(user, { measuredAt: at(T0, 60), weightKg: 70 })).toMatchObject({ weightKg: 70, bodyFatPct: null, note: null });
    // The bounds themselves are allowed.
    expect(await create(user, { measuredAt: at(T0, 120), weightKg: 0.001, bodyFatPct: 0, note: null })).toMatchObject({
      weightKg: 0.001,
      bodyFatPct: 0,
    });
    expect(await create(user, { measuredAt: at(T0, 180), weightKg: 80, bodyFatPct: 100 })).toMatchObject({ bodyFatPct: 100 });
    expect(await db.bodyMetrics(user.id)).toHaveLength(4);
  });

  it('400 naming the field for every invalid body, and nothing is written', async () => {
    const user = await registerAndLogin('rbmcreatebad');
    const api = client(user);
    const ok = { measuredAt: at(T0, 0), weightKg: 70 };
    expectInvalid(await api.post('/api/body_metrics', { weightKg: 70 }), ['measuredAt'], 'measuredAt missing');
    expectInvalid(await api.post('/api/body_metrics', { measuredAt: at(T0, 0) }), ['weightKg'], 'weightKg missing');
    expectInvalid(await api.post('/api/body_metrics', {}), ['measuredAt', 'weightKg'], 'both missing');
    for (const bad of BAD_TIMES)
      expectInvalid(await api.post('/api/body_metrics', { ...ok, measuredAt: bad }), ['measuredAt'], `measuredAt ${bad}`);
    expectInvalid(await api.post('/api/body_metrics', { ...ok, measuredAt: null }), ['measuredAt'], 'measuredAt null');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, weightKg: '70' }), ['weightKg'], 'weightKg "70"');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, weightKg: null }), ['weightKg'], 'weightKg null');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, bodyFatPct: 'lean' }), ['bodyFatPct'], 'bodyFatPct string');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, note: true }), ['note'], 'note boolean');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, note: 'n'.repeat(1001) }), ['note'], 'note too long');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, userId: NIL }), ['userId'], 'unknown userId');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, heightCm: 180, bmi: 21 }), ['heightCm', 'bmi'], 'unknown fields');
    // Business rules of the subgraph.
    expectInvalid(await api.post('/api/body_metrics', { ...ok, weightKg: 0 }), ['weightKg'], 'weightKg 0');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, weightKg: -70 }), ['weightKg'], 'weightKg < 0');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, weightKg: 70.0001 }), ['weightKg'], 'weightKg 4 decimals');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, weightKg: 1001 }), ['weightKg'], 'weightKg > 1000');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, bodyFatPct: 100.5 }), ['bodyFatPct'], 'bodyFatPct > 100');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, bodyFatPct: -0.5 }), ['bodyFatPct'], 'bodyFatPct < 0');
    expectInvalid(await api.post('/api/body_metrics', { ...ok, weightKg: 0, bodyFatPct: 101 }), ['weightKg', 'bodyFatPct'], 'both rules');
    expect(await db.bodyMetrics(user.id)).toEqual([]);
    expect((await list(user)).total).toBe(0);
  });

  it('401 without or with bad credentials; nothing is written', async () => {
    const user = await registerAndLogin('rbmcreate401');
    await expectUnauthenticated('POST', '/api/body_metrics', user, { measuredAt: at(T0, 0), weightKg: 70 });
    expect(await db.bodyMetrics(user.id)).toEqual([]);
  });
});

describe('GET /api/body_metrics', () => {
  it('200 with {items,total,limit,offset} (documented schema), newest first, defaults limit 20 offset 0, only the caller’s', async () => {
    const [user, other] = await twoUsers('rbmlist');
    const a = await create(user, { measuredAt: at(T0, 0), weightKg: 70 });
    const b = await create(user, { measuredAt: at(T0, 1440), weightKg: 69.8, bodyFatPct: 17 });
    await create(other, { measuredAt: at(T0, 720), weightKg: 90 });
    expect(await list(user)).toEqual({ items: [b, a], total: 2, limit: 20, offset: 0 });
    expect(await list(await registerAndLogin('rbmempty'))).toEqual({ items: [], total: 0, limit: 20, offset: 0 });
  });

  it('pages of 10 over 25 metrics: 10/10/5, total 25 each time, no duplicates or gaps', async () => {
    const user = await registerAndLogin('rbmpage');
    const created = [];
    for (let i = 0; i < 25; i++) created.push(await create(user, { measuredAt: at(T0, i * 1440), weightKg: 70 + i / 10 }));
    const newestFirst = created.reverse().map((m) => m.id);
    const seen: string[] = [];
    for (const [offset, size] of [
      [0, 10],
      [10, 10],
      [20, 5],
    ]) {
      const page = await list(user, `limit=10&offset=${offset}`);
      expect(page).toMatchObject({ total: 25, limit: 10, offset });
      expect(page.items).toHaveLength(size);
      seen.push(...page.items.map((m: any) => m.id));
    }
    expect(seen).toEqual(newestFirst);
    expect(new Set(seen).size).toBe(25);
    expect(await list(user, 'limit=10&offset=25')).toEqual({ items: [], total: 25, limit: 10, offset: 25 });
  });

  it('from/to filter on measuredAt (from <= measuredAt < to), with paging and totals in the range', async () => {
    const user = await registerAndLogin('rbmrange');
    const ms = [];
    for (let i = 0; i < 6; i++) ms.push(await create(user, { measuredAt: at(T0, i * 1440), weightKg: 60 + i }));
    const ids = (page: any) => page.items.map((m: any) => m.id);
    const range = (from?: string, to?: string, extra = '') =>
      list(user, [from && `from=${encodeURIComponent(from)}`, to && `to=${encodeURIComponent(to)}`, extra].filter(Boolean).join('&'));

    const mid = await range(at(T0, 1440), at(T0, 4 * 1440));
    expect(mid.total).toBe(3);
    expect(ids(mid)).toEqual([ms[3].id, ms[2].id, ms[1].id]);
    expect(ids(await range(undefined, at(T0, 1440)))).toEqual([ms[0].id]);
    expect(ids(await range(at(T0, 5 * 1440)))).toEqual([ms[5].id]);
    // T0 + 2 days is 2026-05-04T07:00:00+09:00
    expect(ids(await range('2026-05-04T07:00:00+09:00', '2026-05-05T07:00:00+09:00'))).toEqual([ms[2].id]);
    const paged = await range(at(T0, 1440), undefined, 'limit=2&offset=1');
    expect(paged).toMatchObject({ total: 5, limit: 2, offset: 1 });
    expect(ids(paged)).toEqual([ms[4].id, ms[3].id]);
    expect(await range(at(T0, 1440), at(T0, 1440))).toMatchObject({ items: [], total: 0 });
  });

  it('400 naming the parameter for bad limit, offset, from, to, from > to and unknown parameters', async () => {
    const user = await registerAndLogin('rbmlistbad');
    const api = client(user);
    for (const bad of BAD_LIMITS)
      expectInvalid(await api.get(`/api/body_metrics?limit=${encodeURIComponent(bad)}`), ['limit'], `limit=${bad}`);
    for (const bad of BAD_OFFSETS)
      expectInvalid(await api.get(`/api/body_metrics?offset=${encodeURIComponent(bad)}`), ['offset'], `offset=${bad}`);
    for (const bad of BAD_TIMES) {
      expectInvalid(await api.get(`/api/body_metrics?from=${encodeURIComponent(bad)}`), ['from'], `from=${bad}`);
      expectInvalid(await api.get(`/api/body_metrics?to=${encodeURIComponent(bad)}`), ['to'], `to=${bad}`);
    }
    expectInvalid(
      await api.get(`/api/body_metrics?from=${encodeURIComponent(at(T0, 1))}&to=${encodeURIComponent(at(T0, 0))}`),
      ['to'],
      'from > to',
    );
    expectInvalid(await api.get('/api/body_metrics?sort=asc'), ['sort'], 'unknown parameter');
    expectInvalid(await api.get('/api/body_metrics?limit=500&to=tomorrow'), ['limit', 'to'], 'all at once');
  });

  it('401 without or with bad credentials', async () => {
    const user = await registerAndLogin('rbmlist401');
    await expectUnauthenticated('GET', '/api/body_metrics', user);
  });
});

describe('PATCH /api/body_metrics/:id', () => {
  it('200 with the updated metric: absent fields stay, null clears bodyFatPct and note', async () => {
    const user = await registerAndLogin('rbmpatch');
    const m = await create(user, { measuredAt: at(T0, 0), weightKg: 70, bodyFatPct: 20, note: 'before' });
    const path = `/api/body_metrics/${m.id}`;
    const weight = expectSuccess(await client(user).patch(path, { weightKg: 69.4 }), 'PATCH', '/api/body_metrics/:id');
    expect(weight).toEqual({ ...m, weightKg: 69.4 });
    const cleared = expectSuccess(await client(user).patch(path, { bodyFatPct: null, note: null }), 'PATCH', '/api/body_metrics/:id');
    expect(cleared).toEqual({ ...m, weightKg: 69.4, bodyFatPct: null, note: null });
    const moved = expectSuccess(
      await client(user).patch(path, { measuredAt: '2026-05-02T08:30:00+09:00', bodyFatPct: 19.5 }),
      'PATCH',
      '/api/body_metrics/:id',
    );
    expect(moved).toEqual({ ...m, measuredAt: '2026-05-01T23:30:00.000Z', weightKg: 69.4, bodyFatPct: 19.5, note: null });
    expect(expectSuccess(await client(user).patch(path, {}), 'PATCH', '/api/body_metrics/:id')).toEqual(moved);
    expect(await all(user)).toEqual([moved]);
  });

  it("404 for another user's metric, which stays unchanged", async () => {
    const [owner, other] = await twoUsers('rbmpatch404');
    const m = await create(owner, { measuredAt: at(T0, 0), weightKg: 70, bodyFatPct: 20 });
    const before = await db.bodyMetric(m.id);
    expectError(await client(other).patch(`/api/body_metrics/${m.id}`, { weightKg: 50 }), 404, 'NOT_FOUND', "other's");
    expectError(await client(other).patch(`/api/body_metrics/${m.id}`, { bodyFatPct: null }), 404, 'NOT_FOUND', "other's clear");
    expectError(await client(owner).patch(`/api/body_metrics/${NIL}`, { weightKg: 50 }), 404, 'NOT_FOUND', 'nil');
    expect(await db.bodyMetric(m.id)).toEqual(before);
    expect(await all(owner)).toEqual([m]);
  });

  it('400 naming the field for every invalid input; unchanged', async () => {
    const user = await registerAndLogin('rbmpatchbad');
    const m = await create(user, { measuredAt: at(T0, 0), weightKg: 70, bodyFatPct: 20, note: 'keep' });
    const before = await db.bodyMetric(m.id);
    const api = client(user);
    const path = `/api/body_metrics/${m.id}`;
    for (const bad of BAD_IDS) expectInvalid(await api.patch(`/api/body_metrics/${bad}`, { weightKg: 71 }), ['id'], `id ${bad}`);
    for (const bad of BAD_TIMES) expectInvalid(await api.patch(path, { measuredAt: bad }), ['measuredAt'], `measuredAt ${bad}`);
    expectInvalid(await api.patch(path, { measuredAt: null }), ['measuredAt'], 'measuredAt null');
    expectInvalid(await api.patch(path, { weightKg: null }), ['weightKg'], 'weightKg null');
    expectInvalid(await api.patch(path, { weightKg: 'heavy' }), ['weightKg'], 'weightKg string');
    expectInvalid(await api.patch(path, { bodyFatPct: '20%' }), ['bodyFatPct'], 'bodyFatPct string');
    expectInvalid(await api.patch(path, { note: 1 }), ['note'], 'note number');
    expectInvalid(await api.patch(path, { id: NIL }), ['id'], 'unknown id in the body');
    expectInvalid(await api.patch(path, { weightKg: 71, userId: NIL }), ['userId'], 'unknown userId');
    expectInvalid(await api.patch(path, { weightKg: 0 }), ['weightKg'], 'weightKg 0');
    expectInvalid(await api.patch(path, { weightKg: -1, note: 'changed' }), ['weightKg'], 'weightKg < 0');
    expectInvalid(await api.patch(path, { bodyFatPct: 100.01 }), ['bodyFatPct'], 'bodyFatPct > 100');
    expectInvalid(await api.patch(path, { bodyFatPct: -1, note: 'changed' }), ['bodyFatPct'], 'bodyFatPct < 0');
    expect(await db.bodyMetric(m.id)).toEqual(before);
  });

  it('401 without or with bad credentials; unchanged', async () => {
    const user = await registerAndLogin('rbmpatch401');
    const m = await create(user, { measuredAt: at(T0, 0), weightKg: 70 });
    await expectUnauthenticated('PATCH', `/api/body_metrics/${m.id}`, user, { weightKg: 150 });
    expect(await all(user)).toEqual([m]);
  });
});

describe('DELETE /api/body_metrics/:id', () => {
  it('204 with an empty body; the metric is gone', async () => {
    const user = await registerAndLogin('rbmdel');
    const m = await create(user, { measuredAt: at(T0, 0), weightKg: 70 });
    const keep = await create(user, { measuredAt: at(T0, 60), weightKg: 71 });
    expectSuccess(await client(user).del(`/api/body_metrics/${m.id}`), 'DELETE', '/api/body_metrics/:id');
    expect(await db.bodyMetric(m.id)).toBeUndefined();
    expect(await list(user)).toMatchObject({ total: 1, items: [keep] });
    expectError(await client(user).del(`/api/body_metrics/${m.id}`), 404, 'NOT_FOUND', 'twice');
    expectError(await client(user).patch(`/api/body_metrics/${m.id}`, { weightKg: 1 }), 404, 'NOT_FOUND', 'patch after delete');
  });

  it("404 for another user's metric, which stays", async () => {
    const [owner, other] = await twoUsers('rbmdel404');
    const m = await create(owner, { measuredAt: at(T0, 0), weightKg: 70 });
    expectError(await client(other).del(`/api/body_metrics/${m.id}`), 404, 'NOT_FOUND', "other's");
    expectError(await client(owner).del(`/api/body_metrics/${NIL}`), 404, 'NOT_FOUND', 'nil');
    expect(await all(owner)).toEqual([m]);
  });

  it('400 for a path id that is not a UUID', async () => {
    const user = await registerAndLogin('rbmdelbad');
    await create(user, { measuredAt: at(T0, 0), weightKg: 70 });
    for (const bad of BAD_IDS) expectInvalid(await client(user).del(`/api/body_metrics/${bad}`), ['id'], bad);
    expect(await db.bodyMetrics(user.id)).toHaveLength(1);
  });

  it('401 without or with bad credentials; the metric stays', async () => {
    const user = await registerAndLogin('rbmdel401');
    const m = await create(user, { measuredAt: at(T0, 0), weightKg: 70 });
    await expectUnauthenticated('DELETE', `/api/body_metrics/${m.id}`, user);
    expect(await all(user)).toEqual([m]);
  });
});

describe('cookie sessions (BFF)', () => {
  it('every body-metric route works with only the access_token cookie', async () => {
    const { userId, cookie } = await cookieSession('rbmcookie');
    const call = (method: string, path: string, body?: unknown) => rest(method, path, { cookie, ...(body !== undefined ? { body } : {}) });
    const m = expectSuccess(await call('POST', '/api/body_metrics', { measuredAt: at(T0, 0), weightKg: 64 }), 'POST', '/api/body_metrics');
    expect(await db.bodyMetric(m.id)).toMatchObject({ user_id: userId });
    expect(expectSuccess(await call('GET', '/api/body_metrics'), 'GET', '/api/body_metrics')).toEqual({
      items: [m],
      total: 1,
      limit: 20,
      offset: 0,
    });
    expect(expectSuccess(await call('PATCH', `/api/body_metrics/${m.id}`, { bodyFatPct: 15 }), 'PATCH', '/api/body_metrics/:id')).toEqual({
      ...m,
      bodyFatPct: 15,
    });
    expectSuccess(await call('DELETE', `/api/body_metrics/${m.id}`), 'DELETE', '/api/body_metrics/:id');
    expect(await db.bodyMetrics(userId)).toEqual([]);
  });
});

describe('the same operation through REST and through GraphQL returns the same data', () => {
  it('GET /api/body_metrics equals the ListBodyMetrics operation on /graphql', async () => {
    const user = await registerAndLogin('rbmsame');
    for (let i = 0; i < 6; i++)
      await create(user, { measuredAt: at(T0, i * 600), weightKg: 65 + i * 0.25, ...(i % 2 ? { bodyFatPct: 20 - i, note: `n${i}` } : {}) });
    const route = routeOf('GET', '/api/body_metrics');
    for (const query of <Record<string, string>[]>[
      {},
      { limit: '4', offset: '1' },
      { from: at(T0, 600), to: at(T0, 2400) },
      { to: at(T0, 3000), limit: '2', offset: '2' },
    ]) {
      const restBody = await list(user, new URLSearchParams(query).toString());
      const data = await graphqlOf(route, { query }, user);
      expect(restBody, JSON.stringify(query)).toEqual(data.bodyMetrics);
    }
  });
});
