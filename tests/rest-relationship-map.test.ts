/**
 * Seed 004's REST routes on the gateway's facade: every body checked against what
 * /api/openapi.json documents for it, bad input answered 400 naming the field with nothing
 * written, another user's map not found (JSON and picture), and the picture's escaping.
 */

import { buildGateway, loadGatewayConfig } from '@app/gateway';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, gql, platformEnv, registerAndLogin, type TestUser } from './support/client.js';
import { NO_ROWS, nodes, relationshipMapRows } from './support/map.js';
import { expectDocumented } from './support/openapi.js';
import { rest, setCookies } from './support/rest.js';

let db: pg.Pool;
beforeAll(() => {
  db = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
});
afterAll(async () => {
  await db?.end();
});

const as = (user: TestUser) => ({ token: user.accessToken });
const seedNodes = [
  { id: 'node-1', label: '家族', customLabel: '家族', userHint: 'near' },
  { id: 'node-2', label: '友達', customLabel: '親友A', userHint: null },
];

function expectBadRequest(res: { status: number; body: any }, field: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.code).toBe('VALIDATION_ERROR');
  expect(res.body.details.validationErrors.map((e: { field: string }) => e.field)).toContain(field);
}

describe('seed 004 users and data routes', () => {
  it('GET /api/health answers without a token in the seed shape', async () => {
    const res = await rest('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'healthy', timestamp: expect.any(String), version: expect.any(String) });
    await expectDocumented(res, 'GET', '/api/health');
  });

  it('POST /api/users/initialize answers 201 with the default preferences, again on a second call', async () => {
    const user = await registerAndLogin('rmi');
    for (let i = 0; i < 2; i++) {
      const res = await rest('POST', '/api/users/initialize', { ...as(user), body: { locale: 'ja-JP' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        userId: user.id,
        createdAt: expect.any(String),
        preferences: { maxNodes: 12, updateFrequency: 'daily', displayMode: 'minimal' },
      });
      await expectDocumented(res, 'POST', '/api/users/initialize');
    }
    expect((await rest('POST', '/api/users/initialize', { body: {} })).status).toBe(401);
    expectBadRequest(await rest('POST', '/api/users/initialize', { ...as(user), body: { locale: 'ja-JP', admin: true } }), 'admin');
  });

  it('PATCH /api/users/me/preferences changes them (lower-case values) and GET /api/users/me shows them', async () => {
    const user = await registerAndLogin('rmp');
    const patch = await rest('PATCH', '/api/users/me/preferences', {
      ...as(user),
      body: { maxNodes: 9, updateFrequency: 'manual', displayMode: 'label_emphasis' },
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toEqual({
      userId: user.id,
      preferences: { maxNodes: 9, updateFrequency: 'manual', displayMode: 'label_emphasis' },
      updatedAt: expect.any(String),
    });
    await expectDocumented(patch, 'PATCH', '/api/users/me/preferences');
    const me = await rest('GET', '/api/users/me', as(user));
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      userId: user.id,
      createdAt: expect.any(String),
      lastLoginAt: expect.toSatisfy((v: unknown) => v === null || typeof v === 'string'),
      facebookConnected: false,
      preferences: { maxNodes: 9, updateFrequency: 'manual', displayMode: 'label_emphasis' },
    });
    await expectDocumented(me, 'GET', '/api/users/me');
  });

  it.each([
    [{ maxNodes: 7 }, 'maxNodes'],
    [{ maxNodes: '9' }, 'maxNodes'],
    [{ displayMode: 'LABEL_EMPHASIS' }, 'displayMode'],
    [{ updateFrequency: 'hourly' }, 'updateFrequency'],
    [{ theme: 'dark' }, 'theme'],
  ])('PATCH /api/users/me/preferences %j is 400 naming %s, nothing written', async (body, field) => {
    const user = await registerAndLogin('rmp');
    const res = await rest('PATCH', '/api/users/me/preferences', { ...as(user), body });
    expectBadRequest(res, field);
    await expectDocumented(res, 'PATCH', '/api/users/me/preferences');
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
  });

  it('DELETE /api/data/all erases the map data and keeps the account', async () => {
    const user = await registerAndLogin('rmd');
    await rest('PATCH', '/api/users/me/preferences', { ...as(user), body: { maxNodes: 6 } });
    await rest('POST', '/api/map/generate', { ...as(user), body: { nodes: seedNodes } });
    const res = await rest('DELETE', '/api/data/all', as(user));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'All user data deleted', deletedAt: expect.any(String) });
    await expectDocumented(res, 'DELETE', '/api/data/all');
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
    expect((await rest('GET', '/api/users/me', as(user))).body.preferences.maxNodes).toBe(12);
  });

  it('DELETE /api/users/me erases the account everywhere and answers 200 with deletedAt when done within 10 s', async () => {
    const user = await registerAndLogin('rmz');
    await rest('POST', '/api/map/generate', { ...as(user), body: { nodes: seedNodes } });
    const res = await rest('DELETE', '/api/users/me', as(user));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ message: 'User data deleted successfully', deletedAt: expect.any(String) });
    await expectDocumented(res, 'DELETE', '/api/users/me');
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
    expect((await db.query('select 1 from auth.users where id = $1', [user.id])).rowCount).toBe(0);
    expect((await rest('GET', '/api/users/me', as(user))).status).toBe(401);
  });
});

it('DELETE /api/users/me answers 202 with the deletion id when the erasure outlasts the wait, and it completes', async () => {
  // A gateway replica that does not wait at all (ERASURE_WAIT_MS=0): the answer is always 202.
  const impatient = await buildGateway({ config: loadGatewayConfig({ ...platformEnv(), ERASURE_WAIT_MS: '0' }) });
  try {
    const base = `http://127.0.0.1:${await impatient.listen(0, '127.0.0.1')}`;
    const user = await registerAndLogin('rmz');
    const res = await fetch(`${base}/api/users/me`, { method: 'DELETE', headers: { authorization: `Bearer ${user.accessToken}` } });
    const body = await res.json();
    expect(res.status).toBe(202);
    expect(body).toEqual({ message: expect.any(String), deletionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    await expectDocumented({ status: 202, headers: res.headers, body, text: JSON.stringify(body) }, 'DELETE', '/api/users/me');
    await eventually(
      async () =>
        (await gql(`query($id: ID!) { deletionStatus(id: $id) { completedAt } }`, { id: body.deletionId })).body.data?.deletionStatus
          ?.completedAt,
      20_000,
    );
  } finally {
    await impatient.close();
  }
});

describe('seed 004 Facebook routes (Facebook not configured here)', () => {
  it('connect and aggregate-signals answer 503 with the reason; disconnect works', async () => {
    const user = await registerAndLogin('rmf');
    const connect = await rest('POST', '/api/facebook/connect', { ...as(user), body: { accessToken: 'EAAB-token' } });
    expect(connect.status).toBe(503);
    expect(connect.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { reason: 'FACEBOOK_NOT_CONFIGURED' } });
    await expectDocumented(connect, 'POST', '/api/facebook/connect');
    const signals = await rest('GET', '/api/facebook/aggregate-signals?windowDays=14', as(user));
    expect(signals.status).toBe(503);
    await expectDocumented(signals, 'GET', '/api/facebook/aggregate-signals');
    const disconnect = await rest('POST', '/api/facebook/disconnect', as(user));
    expect(disconnect.status).toBe(200);
    expect(disconnect.body).toEqual({ disconnected: true, disconnectedAt: expect.any(String) });
    await expectDocumented(disconnect, 'POST', '/api/facebook/disconnect');
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
  });

  it.each(['abc', '0', '91', '1.5'])('aggregate-signals?windowDays=%s is 400 naming windowDays', async (windowDays) => {
    const user = await registerAndLogin('rmf');
    expectBadRequest(await rest('GET', `/api/facebook/aggregate-signals?windowDays=${windowDays}`, as(user)), 'windowDays');
  });

  it('connect without a token in the body is 400', async () => {
    const user = await registerAndLogin('rmf');
    expectBadRequest(await rest('POST', '/api/facebook/connect', { ...as(user), body: {} }), 'accessToken');
  });
});

describe('seed 004 map routes', () => {
  it("POST /api/map/generate takes the seed's body and answers the seed's shape (lower-case distances)", async () => {
    const user = await registerAndLogin('rmg');
    const res = await rest('POST', '/api/map/generate', {
      ...as(user),
      body: { nodes: seedNodes, preferences: { maxNodes: 12, jitterEnabled: true } },
    });
    expect(res.status, res.text).toBe(200);
    await expectDocumented(res, 'POST', '/api/map/generate');
    expect(res.body).toMatchObject({
      mapId: expect.any(String),
      generatedAt: expect.any(String),
      basis: { facebookSignals: false, userHints: true, randomJitter: true },
    });
    expect(res.body.nodes.map((n: any) => [n.id, n.customLabel, n.position.distance])).toEqual([
      ['node-1', '家族', 'near'],
      ['node-2', '親友A', 'mid'],
    ]);
    expect(res.body.svgUrl).toBe(`/api/map/${res.body.mapId}.svg`);
    // The same map through GraphQL.
    const viaGraphql = await gql(
      `query($id: ID!) { relationshipMap(id: $id) { nodes { id position { x y } } } }`,
      { id: res.body.mapId },
      as(user),
    );
    expect(viaGraphql.body.data!.relationshipMap.nodes).toEqual(
      res.body.nodes.map((n: any) => ({ id: n.id, position: { x: n.position.x, y: n.position.y } })),
    );
  });

  it.each([
    ['13 nodes', { nodes: nodes(13).map((n) => ({ ...n, userHint: null })) }, 'nodes'],
    ['an unknown hint', { nodes: [{ id: 'a', label: 'x', userHint: 'close' }] }, 'nodes.0.userHint'],
    ['an unknown node field', { nodes: [{ id: 'a', label: 'x', colour: 'red' }] }, 'nodes.0.colour'],
    ['maxNodes 5', { nodes: seedNodes, preferences: { maxNodes: 5 } }, 'maxNodes'],
    ['nodes not a list', { nodes: 'all of them' }, 'nodes'],
  ])('POST /api/map/generate with %s is 400 naming the field, nothing written', async (_name, body, field) => {
    const user = await registerAndLogin('rmg');
    const res = await rest('POST', '/api/map/generate', { ...as(user), body });
    expectBadRequest(res, field);
    await expectDocumented(res, 'POST', '/api/map/generate');
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
  });

  it('GET /api/map/observation-text serves the templates', async () => {
    const user = await registerAndLogin('rmt');
    const res = await rest('GET', '/api/map/observation-text', as(user));
    expect(res.status).toBe(200);
    expect(res.body.templates.near).toContain('考えが残りやすい');
    await expectDocumented(res, 'GET', '/api/map/observation-text');
    expect((await rest('GET', '/api/map/observation-text')).status).toBe(401);
  });

  it("GET /api/map/{mapId}.svg: the owner's picture (cookie session too); another user's or no map is 404, a bad id 400", async () => {
    const owner = await registerAndLogin('rms');
    const other = await registerAndLogin('rms');
    const { body } = await rest('POST', '/api/map/generate', { ...as(owner), body: { nodes: seedNodes } });
    const svg = await rest('GET', `/api/map/${body.mapId}.svg`, as(owner));
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(svg.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(svg.text).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.text).toContain('親友A');
    await expectDocumented(svg, 'GET', '/api/map/{mapId}.svg');

    const login = await rest('POST', '/api/auth/login', { body: { usernameOrEmail: owner.username, password: owner.password } });
    const cookie = `access_token=${setCookies(login.headers).access_token.value}`;
    expect((await rest('GET', `/api/map/${body.mapId}.svg`, { cookie })).status).toBe(200);

    const theirs = await rest('GET', `/api/map/${body.mapId}.svg`, as(other));
    expect(theirs.status).toBe(404);
    expect(theirs.body.code).toBe('NOT_FOUND');
    await expectDocumented(theirs, 'GET', '/api/map/{mapId}.svg');
    expect((await rest('GET', `/api/map/${crypto.randomUUID()}.svg`, as(owner))).status).toBe(404);
    expectBadRequest(await rest('GET', '/api/map/not-a-map.svg', as(owner)), 'mapId');
    const anonymous = await rest('GET', `/api/map/${body.mapId}.svg`);
    expect(anonymous.status).toBe(401);
    // RFC 6750 challenges (seed 002): how to authenticate, and that a sent token was refused.
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    const badToken = await rest('GET', `/api/map/${body.mapId}.svg`, { token: 'not-a-token' });
    expect(badToken.status).toBe(401);
    expect(badToken.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('a label with markup is only text in the picture: no script, no event handler, no link', async () => {
    const user = await registerAndLogin('rmx');
    const evil = [
      { id: 'x1', label: '<script>alert(1)</script>', userHint: 'near' },
      { id: 'x2', label: 'a"><image href=x onerror=alert(1)>', userHint: 'far' },
      { id: 'x3', label: '&amp; <![CDATA[ ]]> ]]>' },
      { id: 'x4', label: 'x', customLabel: "' onload='alert(1)" },
    ];
    const { body } = await rest('POST', '/api/map/generate', { ...as(user), body: { nodes: evil } });
    const svg = (await rest('GET', `/api/map/${body.mapId}.svg`, as(user))).text;
    // Every element and attribute of the document (quoted values and text set aside): none that runs or loads anything.
    const tags = svg.match(/<[^>]+>/g)!.map((tag) => tag.replace(/"[^"]*"|'[^']*'/g, '""'));
    const elements = new Set(tags.map((t) => /^<\/?([\w:-]+)/.exec(t)?.[1]?.toLowerCase()));
    const attributes = new Set(tags.flatMap((t) => [...t.matchAll(/\s([\w:-]+)\s*=/g)].map((m) => m[1].toLowerCase())));
    for (const bad of ['script', 'image', 'foreignobject', 'a', 'iframe', 'use']) expect(elements.has(bad), `<${bad}>`).toBe(false);
    expect([...attributes].filter((a) => a.startsWith('on') || a.endsWith('href'))).toEqual([]);
    expect(svg).not.toContain('<![CDATA[');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('&amp;amp;');
  });
});
