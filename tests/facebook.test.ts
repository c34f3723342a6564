/**
 * Facebook through the gateway, against a local fake of the Graph API that answers like the real
 * one (its error bodies, an expired token, an outage, a slow answer). This file runs its own
 * relationship-map replica pointed at the fake, and its own gateway routed to that replica, over
 * the same Postgres, Redis and NATS as the shared test platform.
 */
import { randomBytes } from 'node:crypto';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { buildRelationshipMapService, loadRelationshipMapConfig, type RelationshipMapService } from '@app/relationship-map';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { type GraphQLResult, gql, platformEnv, registerAndLogin, type TestUser } from './support/client.js';
import { type FakeFacebook, type FakePost, startFakeFacebook } from './support/fake-facebook.js';
import { GENERATE, NO_ROWS, nodes, relationshipMapRows } from './support/map.js';

let fake: FakeFacebook;
let relationshipMap: RelationshipMapService;
let gateway: GatewayService;
let url: string;
let db: pg.Pool;

beforeAll(async () => {
  fake = await startFakeFacebook({ pageSize: 5 });
  const env: Record<string, string> = {
    ...platformEnv(),
    FACEBOOK_GRAPH_URL: fake.url,
    FACEBOOK_TOKEN_KEY: randomBytes(32).toString('base64'),
    FACEBOOK_TIMEOUT_MS: '800',
  };
  relationshipMap = await buildRelationshipMapService({ config: loadRelationshipMapConfig(env), databaseUrl: env.DATABASE_URL });
  const port = await relationshipMap.listen(0, '127.0.0.1');
  gateway = await buildGateway({
    config: loadGatewayConfig({ ...env, SUBGRAPH_RELATIONSHIP_MAP_URL: `http://127.0.0.1:${port}/graphql` }),
  });
  url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}/graphql`;
  db = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
});
afterAll(async () => {
  await gateway?.close();
  await relationshipMap?.close();
  await fake?.close();
  await db?.end();
});
beforeEach(() => fake.setMode('ok'));

const CONNECT = `mutation($t: String!) { connectFacebook(input: { accessToken: $t }) { connected facebookUserId connectedAt disconnectedAt } }`;
const SIGNALS = `query($w: Int) { aggregateSignals(windowDays: $w) { windowDays activityVolume reactionCount commentCount postCount collectedAt validUntil } }`;
const DISCONNECT = `mutation { disconnectFacebook { connected facebookUserId connectedAt disconnectedAt } }`;
const SECRET = 'my secret diary entry';
const NAME = '山田 太郎';

const run = (user: TestUser, query: string, variables: Record<string, unknown> = {}) =>
  gql(query, variables, { url, token: user.accessToken });
function ok(res: GraphQLResult) {
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data as Record<string, any>;
}
function expectFailure(res: GraphQLResult, code: string, reason: string) {
  expect(res.body.errors?.[0]?.extensions, JSON.stringify(res.body)).toMatchObject({ code, reason });
  expect(JSON.stringify(res.body)).not.toMatch(/EAA[\w-]{6,}/);
}
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

/** `count` posts spread over the last `days` days, each with reactions and comments. */
const posts = (count: number, days: number, reactions = 10, comments = 3): FakePost[] =>
  Array.from({ length: count }, (_, i) => ({ createdTime: daysAgo(((i + 0.5) * days) / count), reactions, comments, message: SECRET }));

/** A user with a Facebook account on the fake; returns the token (unique, owned by the test). */
async function userWithFacebook(postList: FakePost[] = posts(4, 10)) {
  const user = await registerAndLogin('fb');
  const token = `EAA${randomBytes(16).toString('hex')}`;
  const facebookUserId = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
  fake.addAccount({ token, userId: facebookUserId, name: NAME, posts: postList });
  return { user, token, facebookUserId };
}

/** Every value of every row of the user, as text: what is stored, whatever the column. */
async function storedText(userId: string) {
  const tables = ['map_preferences', 'facebook_links', 'aggregate_signals', 'relationship_maps'];
  const rows = await Promise.all(
    tables.map(async (t) => (await db.query(`select * from relationship_map.${t} where user_id = $1`, [userId])).rows),
  );
  return JSON.stringify(rows);
}

describe('connect and disconnect', () => {
  it('connect checks the token with Facebook and keeps it encrypted; it is never returned', async () => {
    const { user, token, facebookUserId } = await userWithFacebook();
    const { connectFacebook } = ok(await run(user, CONNECT, { t: token }));
    expect(connectFacebook).toEqual({ connected: true, facebookUserId, connectedAt: expect.any(String), disconnectedAt: null });
    expect(fake.requests.some((r) => r.path.endsWith('/me') && r.query.fields === 'id')).toBe(true);
    const { rows } = await db.query('select * from relationship_map.facebook_links where user_id = $1', [user.id]);
    expect(rows[0].facebook_user_id).toBe(facebookUserId);
    expect(rows[0].encrypted_token).toMatch(/^v1\./);
    expect(await storedText(user.id)).not.toContain(token);
    expect(await storedText(user.id)).not.toContain(NAME);
    const { me } = ok(await run(user, `{ me { facebook { connected facebookUserId } } }`));
    expect(me.facebook).toEqual({ connected: true, facebookUserId });
  });

  it.each([
    ['an unknown token', (_t: string) => {}],
    ['an expired token', (t: string) => fake.expireToken(t)],
  ])('%s is VALIDATION_ERROR (FACEBOOK_CONNECTION_FAILED) and nothing is written', async (_name, spoil) => {
    const { user, token } = await userWithFacebook();
    spoil(token);
    const bad = _name === 'an unknown token' ? `EAA${randomBytes(8).toString('hex')}` : token;
    expectFailure(await run(user, CONNECT, { t: bad }), 'VALIDATION_ERROR', 'FACEBOOK_CONNECTION_FAILED');
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
  });

  it.each(['down', 'slow', 'rate_limited'] as const)(
    'Facebook %s: connect is SERVICE_UNAVAILABLE (FACEBOOK_API_ERROR), within the time limit, nothing written',
    async (mode) => {
      const { user, token } = await userWithFacebook();
      fake.setMode(mode);
      const started = Date.now();
      expectFailure(await run(user, CONNECT, { t: token }), 'SERVICE_UNAVAILABLE', 'FACEBOOK_API_ERROR');
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
    },
  );

  it('disconnect forgets the token, the Facebook id and the signals; twice is fine', async () => {
    const { user, token } = await userWithFacebook();
    ok(await run(user, CONNECT, { t: token }));
    ok(await run(user, SIGNALS));
    const { disconnectFacebook } = ok(await run(user, DISCONNECT));
    expect(disconnectFacebook).toEqual({ connected: false, facebookUserId: null, connectedAt: null, disconnectedAt: expect.any(String) });
    const { rows } = await db.query('select * from relationship_map.facebook_links where user_id = $1', [user.id]);
    expect(rows[0]).toMatchObject({ facebook_user_id: null, encrypted_token: null, connected_at: null });
    expect((await relationshipMapRows(db, user.id)).aggregate_signals).toBe(0);
    expect(ok(await run(user, DISCONNECT)).disconnectFacebook.connected).toBe(false);
    expectFailure(await run(user, SIGNALS), 'VALIDATION_ERROR', 'FACEBOOK_CONNECTION_FAILED');
  });
});

describe('aggregate signals', () => {
  it('are levels over the window (only posts inside it count), stored as levels only, valid 24 h', async () => {
    // 12 posts in the last 14 days (HIGH), 204 reactions (HIGH), 12 comments (MEDIUM); older posts do not count.
    const { user, token } = await userWithFacebook([
      ...posts(12, 14, 17, 1),
      ...posts(30, 1).map((p) => ({ ...p, createdTime: daysAgo(40) })),
    ]);
    ok(await run(user, CONNECT, { t: token }));
    const before = fake.requests.length;
    const { aggregateSignals: s } = ok(await run(user, SIGNALS));
    expect(s).toMatchObject({ windowDays: 14, postCount: 'HIGH', commentCount: 'MEDIUM' });
    expect(Date.parse(s.validUntil) - Date.parse(s.collectedAt)).toBe(24 * 3600_000);
    const calls = fake.requests.slice(before);
    // Only counts and times are asked for: no content, no names, no people.
    const asked = new Set(
      calls.flatMap((r) =>
        (r.query.fields ?? '')
          .split(',')
          .map((f) => f.split(/[.{(]/)[0])
          .filter(Boolean),
      ),
    );
    expect([...asked].sort()).toEqual(['comments', 'created_time', 'reactions']);

    const { rows } = await db.query('select * from relationship_map.aggregate_signals where user_id = $1', [user.id]);
    expect(Object.keys(rows[0]).sort()).toEqual([
      'activity_volume',
      'collected_at',
      'comment_count',
      'id',
      'post_count',
      'reaction_count',
      'user_id',
      'valid_until',
      'window_days',
    ]);
    const text = await storedText(user.id);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(NAME);

    // Still valid: answered from the store, Facebook is not asked again.
    const count = fake.requests.length;
    expect(ok(await run(user, SIGNALS)).aggregateSignals).toEqual(s);
    expect(fake.requests.length).toBe(count);

    // Past validUntil: fetched again.
    await db.query(`update relationship_map.aggregate_signals set valid_until = now() - interval '1 second' where user_id = $1`, [user.id]);
    const again = ok(await run(user, SIGNALS)).aggregateSignals;
    expect(fake.requests.length).toBeGreaterThan(count);
    expect(Date.parse(again.collectedAt)).toBeGreaterThan(Date.parse(s.collectedAt));
  });

  it('each window has its own signals, thresholds scaled to the window', async () => {
    // One post today, twenty five days ago. Thresholds per 14 days (3 / 10 posts) scale with the window.
    const { user, token } = await userWithFacebook([
      { createdTime: daysAgo(0.2), reactions: 0, comments: 0 },
      ...posts(20, 13).map((p) => ({ ...p, createdTime: daysAgo(5) })),
    ]);
    ok(await run(user, CONNECT, { t: token }));
    expect(ok(await run(user, SIGNALS, { w: 1 })).aggregateSignals).toMatchObject({ windowDays: 1, postCount: 'HIGH' });
    expect(ok(await run(user, SIGNALS, { w: 3 })).aggregateSignals).toMatchObject({ windowDays: 3, postCount: 'MEDIUM' });
    expect(ok(await run(user, SIGNALS, { w: 14 })).aggregateSignals).toMatchObject({ windowDays: 14, postCount: 'HIGH' });
    expect((await relationshipMapRows(db, user.id)).aggregate_signals).toBe(3);
  });

  it('Facebook down or slow: SERVICE_UNAVAILABLE (FACEBOOK_API_ERROR) and nothing written; an expired token: FACEBOOK_CONNECTION_FAILED', async () => {
    const { user, token } = await userWithFacebook();
    ok(await run(user, CONNECT, { t: token }));
    for (const mode of ['down', 'slow'] as const) {
      fake.setMode(mode);
      expectFailure(await run(user, SIGNALS), 'SERVICE_UNAVAILABLE', 'FACEBOOK_API_ERROR');
    }
    fake.setMode('ok');
    fake.expireToken(token);
    expectFailure(await run(user, SIGNALS), 'VALIDATION_ERROR', 'FACEBOOK_CONNECTION_FAILED');
    expect((await relationshipMapRows(db, user.id)).aggregate_signals).toBe(0);
  });

  it('not connected: FACEBOOK_CONNECTION_FAILED, Facebook is not asked', async () => {
    const user = await registerAndLogin('fb');
    const count = fake.requests.length;
    expectFailure(await run(user, SIGNALS), 'VALIDATION_ERROR', 'FACEBOOK_CONNECTION_FAILED');
    expect(fake.requests.length).toBe(count);
  });
});

describe('maps with Facebook signals', () => {
  it('unhinted nodes are placed from the signals and basis says so; all hinted, it says not', async () => {
    const { user, token } = await userWithFacebook(posts(14, 12, 30, 10));
    ok(await run(user, CONNECT, { t: token }));
    const mixed = ok(await run(user, GENERATE, { input: { nodes: nodes(12, ['NEAR', null]), seed: 'fb-seed' } })).generateMap;
    expect(mixed.basis).toEqual({ facebookSignals: true, userHints: true, randomJitter: true });
    const hinted = ok(await run(user, GENERATE, { input: { nodes: nodes(4, ['FAR']) } })).generateMap;
    expect(hinted.basis.facebookSignals).toBe(false);
    // HIGH activity draws unhinted nodes nearer than the MID default would.
    const unhinted = mixed.nodes.filter((_: unknown, i: number) => i % 2 === 1).map((n: any) => n.position.distance);
    expect(unhinted.some((d: string) => d !== 'MID')).toBe(true);
  });

  it('Facebook down does not stop a map: it is placed without signals and basis says so', async () => {
    const { user, token } = await userWithFacebook();
    ok(await run(user, CONNECT, { t: token }));
    fake.setMode('down');
    const map = ok(await run(user, GENERATE, { input: { nodes: nodes(3) } })).generateMap;
    expect(map.basis.facebookSignals).toBe(false);
    expect(map.nodes.every((n: any) => n.position.distance === 'MID')).toBe(true);
  });

  it('deleteAllData and account deletion take the Facebook link and signals too', async () => {
    const { user, token } = await userWithFacebook();
    ok(await run(user, CONNECT, { t: token }));
    ok(await run(user, SIGNALS));
    ok(await run(user, `mutation { deleteAllData }`));
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
    ok(await run(user, CONNECT, { t: token }));
    const { deleteMe } = ok(await run(user, `mutation { deleteMe { id } }`));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && JSON.stringify(await relationshipMapRows(db, user.id)) !== JSON.stringify(NO_ROWS))
      await new Promise((r) => setTimeout(r, 100));
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
    expect(deleteMe.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
