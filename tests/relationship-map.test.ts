/**
 * The relationship-map subgraph through the gateway: preferences, map generation rules,
 * owner-only reads, the Facebook operations when Facebook is not configured (the shared test
 * platform has no FACEBOOK_GRAPH_URL; tests/facebook.test.ts runs one against a fake Graph API),
 * deleteAllData and account deletion, with the rows checked in Postgres.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, errorCode, eventually, type GraphQLResult, registerAndLogin, serviceUrl, type TestUser } from './support/client.js';
import { DELETE_ALL, GENERATE, MAP, NO_ROWS, nodes, PREFERENCES, relationshipMapRows, UPDATE_PREFERENCES } from './support/map.js';

let db: pg.Pool;
beforeAll(() => {
  db = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
});
afterAll(async () => {
  await db?.end();
});

const TEMPLATES = {
  near: ['最近、目にすることが多かった', '考えが残りやすい', '無言でも違和感はない'],
  mid: ['反応は少なめ', 'でも存在感はある', '距離は安定している'],
  far: ['会話は生まれていない', '少し気を使う', '存在感はある'],
};
const RING = { NEAR: 70, MID: 125, FAR: 180 };
const JITTER = 8;

function ok<T = any>(res: GraphQLResult): T {
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data as T;
}
function expectError(res: GraphQLResult, code: string, field?: string) {
  expect(errorCode(res), JSON.stringify(res.body)).toBe(code);
  if (field) expect(res.body.errors![0].extensions!.validationErrors.map((e: { field: string }) => e.field)).toContain(field);
}
const generate = (user: TestUser, input: Record<string, unknown>) => call(GENERATE, { input }, { token: user.accessToken });
const radius = (p: { x: number; y: number }) => Math.hypot(p.x - 200, p.y - 200);
const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

describe('map preferences', () => {
  it('are the seed defaults until changed, and initializeUser answers with them', async () => {
    const user = await registerAndLogin('mapp');
    const { me } = ok(await call(PREFERENCES, {}, { token: user.accessToken }));
    expect(me.mapPreferences).toEqual({ maxNodes: 12, updateFrequency: 'DAILY', displayMode: 'MINIMAL', updatedAt: null });
    const init = ok(
      await call(
        `mutation { initializeUser(input: { locale: "ja-JP" }) { id mapPreferences { maxNodes updateFrequency displayMode } } }`,
        {},
        { token: user.accessToken },
      ),
    );
    expect(init.initializeUser).toEqual({
      id: user.id,
      mapPreferences: { maxNodes: 12, updateFrequency: 'DAILY', displayMode: 'MINIMAL' },
    });
  });

  it('change only what is given, and read back', async () => {
    const user = await registerAndLogin('mapp');
    const first = ok(
      await call(UPDATE_PREFERENCES, { input: { maxNodes: 9, displayMode: 'LABEL_EMPHASIS' } }, { token: user.accessToken }),
    );
    expect(first.updateMapPreferences).toMatchObject({ maxNodes: 9, updateFrequency: 'DAILY', displayMode: 'LABEL_EMPHASIS' });
    expect(Date.parse(first.updateMapPreferences.updatedAt)).toBeGreaterThan(Date.now() - 60_000);
    ok(await call(UPDATE_PREFERENCES, { input: { updateFrequency: 'MANUAL' } }, { token: user.accessToken }));
    const { me } = ok(await call(PREFERENCES, {}, { token: user.accessToken }));
    expect(me.mapPreferences).toMatchObject({ maxNodes: 9, updateFrequency: 'MANUAL', displayMode: 'LABEL_EMPHASIS' });
  });

  it.each([7, 0, -6, 13, 2147483647])('maxNodes %i is VALIDATION_ERROR naming maxNodes, and nothing is written', async (maxNodes) => {
    const user = await registerAndLogin('mapp');
    expectError(await call(UPDATE_PREFERENCES, { input: { maxNodes } }, { token: user.accessToken }), 'VALIDATION_ERROR', 'maxNodes');
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
  });

  it('an unknown enum value is refused before the subgraph; anonymous callers are UNAUTHENTICATED', async () => {
    const user = await registerAndLogin('mapp');
    expectError(await call(UPDATE_PREFERENCES, { input: { displayMode: 'LOUD' } }, { token: user.accessToken }), 'VALIDATION_ERROR');
    expectError(await call(PREFERENCES, {}), 'UNAUTHENTICATED');
    expectError(await call(UPDATE_PREFERENCES, { input: { maxNodes: 6 } }), 'UNAUTHENTICATED');
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
  });
});

describe('generateMap', () => {
  it('puts each hinted node on its ring, the others on MID, with one colour per ring and truthful basis', async () => {
    const user = await registerAndLogin('mapg');
    const { generateMap: map } = ok(await generate(user, { nodes: nodes(9, ['NEAR', 'MID', 'FAR', null]) }));
    expect(map.nodes).toHaveLength(9);
    const expected = ['NEAR', 'MID', 'FAR', 'MID', 'NEAR', 'MID', 'FAR', 'MID', 'NEAR'];
    expect(map.nodes.map((n: any) => n.position.distance)).toEqual(expected);
    for (const node of map.nodes) {
      expect(Math.abs(radius(node.position) - RING[node.position.distance as keyof typeof RING])).toBeLessThanOrEqual(JITTER + 0.1);
      expect(node.color).toMatch(/^#[0-9a-f]{6}$/i);
      const phrases = TEMPLATES[node.position.distance.toLowerCase() as keyof typeof TEMPLATES];
      const [a, b, rest] = node.observationText.split('。');
      expect([phrases.includes(a), phrases.includes(b), a !== b, rest]).toEqual([true, true, true, '']);
    }
    const colourOf = (d: string) => [...new Set(map.nodes.filter((n: any) => n.position.distance === d).map((n: any) => n.color))];
    const [near, mid, far] = ['NEAR', 'MID', 'FAR'].map(colourOf);
    expect([near.length, mid.length, far.length]).toEqual([1, 1, 1]);
    expect(new Set([near[0], mid[0], far[0]]).size).toBe(3);
    const [nr, , nb] = rgb(near[0] as string);
    const [fr, , fb] = rgb(far[0] as string);
    const midRgb = rgb(mid[0] as string);
    expect(nr).toBeGreaterThan(nb); // warm
    expect(fb).toBeGreaterThan(fr); // cool
    expect(Math.max(...midRgb) - Math.min(...midRgb)).toBeLessThan(48); // neutral
    expect(map.basis).toEqual({ facebookSignals: false, userHints: true, randomJitter: true });
    expect(map.svgUrl).toBe(`/api/map/${map.id}.svg`);
    expect(map.nodes[0]).toMatchObject({ id: 'node-1', label: '家族', customLabel: '家族さん' });
  });

  it('is deterministic for a seed: the same input and seed give the same nodes; another seed moves them', async () => {
    const user = await registerAndLogin('mapg');
    const input = { nodes: nodes(12, ['NEAR', null, 'FAR']), seed: 'seed-of-the-test' };
    const a = ok(await generate(user, input)).generateMap;
    const b = ok(await generate(user, input)).generateMap;
    expect(b.id).not.toBe(a.id);
    expect(b.nodes).toEqual(a.nodes);
    expect(b.seed).toBe('seed-of-the-test');
    const c = ok(await generate(user, { ...input, seed: 'another-seed' })).generateMap;
    expect(c.nodes.map((n: any) => n.position)).not.toEqual(a.nodes.map((n: any) => n.position));
    const random = ok(await generate(user, { nodes: nodes(3) })).generateMap;
    expect(random.seed).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('without jitter and hints: exact rings evenly spread, and basis says neither was used', async () => {
    const user = await registerAndLogin('mapg');
    const { generateMap: map } = ok(await generate(user, { nodes: nodes(4), jitterEnabled: false }));
    expect(map.basis).toEqual({ facebookSignals: false, userHints: false, randomJitter: false });
    const angles = map.nodes.map((n: any) => Math.atan2(n.position.y - 200, n.position.x - 200)).sort((x: number, y: number) => x - y);
    for (const node of map.nodes) expect(radius(node.position)).toBeCloseTo(RING.MID, 0);
    for (let i = 1; i < angles.length; i++) expect(angles[i] - angles[i - 1]).toBeCloseTo(Math.PI / 2, 2);
  });

  it('refuses more nodes than maxNodes (the preference, or the input) naming nodes, and stores nothing', async () => {
    const user = await registerAndLogin('mapg');
    expectError(await generate(user, { nodes: nodes(13) }), 'VALIDATION_ERROR', 'nodes');
    expectError(await generate(user, { nodes: nodes(10), maxNodes: 9 }), 'VALIDATION_ERROR', 'nodes');
    ok(await call(UPDATE_PREFERENCES, { input: { maxNodes: 6 } }, { token: user.accessToken }));
    expectError(await generate(user, { nodes: nodes(7) }), 'VALIDATION_ERROR', 'nodes');
    expect((await relationshipMapRows(db, user.id)).relationship_maps).toBe(0);
    ok(await generate(user, { nodes: nodes(6) }));
    ok(await generate(user, { nodes: nodes(9), maxNodes: 9 }));
  });

  it.each([
    ['duplicate ids', { nodes: [...nodes(2), { id: 'node-1', label: '二度目' }] }, 'nodes.2.id'],
    ['an empty label', { nodes: [{ id: 'a', label: '   ' }] }, 'nodes.0.label'],
    ['a 41-character label', { nodes: [{ id: 'a', label: '長'.repeat(41) }] }, 'nodes.0.label'],
    ['a control character', { nodes: [{ id: 'a', label: 'a\u0007b' }] }, 'nodes.0.label'],
    ['a 41-character custom label', { nodes: [{ id: 'a', label: 'a', customLabel: 'x'.repeat(41) }] }, 'nodes.0.customLabel'],
    ['no nodes', { nodes: [] }, 'nodes'],
    ['maxNodes 7', { nodes: nodes(2), maxNodes: 7 }, 'maxNodes'],
    ['a 129-character seed', { nodes: nodes(1), seed: 's'.repeat(129) }, 'seed'],
  ])('%s is VALIDATION_ERROR and stores nothing', async (_name, input, field) => {
    const user = await registerAndLogin('mapv');
    expectError(await generate(user, input), 'VALIDATION_ERROR', field);
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
  });

  it('takes 40 kanji (characters, not bytes) and emoji as labels', async () => {
    const user = await registerAndLogin('mapv');
    const { generateMap } = ok(
      await generate(user, {
        nodes: [
          { id: 'a', label: '長'.repeat(40) },
          { id: 'b', label: '👨‍👩‍👧'.repeat(2) },
        ],
      }),
    );
    expect(generateMap.nodes[0].label).toBe('長'.repeat(40));
  });
});

describe('reading maps', () => {
  it('the owner reads a map and its picture; another user gets NOT_FOUND, as for a map that does not exist', async () => {
    const owner = await registerAndLogin('mapr');
    const other = await registerAndLogin('mapr');
    const { generateMap } = ok(await generate(owner, { nodes: nodes(3, ['NEAR']) }));
    const mine = ok(await call(MAP, { id: generateMap.id }, { token: owner.accessToken }));
    expect(mine.relationshipMap).toMatchObject({ id: generateMap.id, nodes: generateMap.nodes });
    expect(mine.relationshipMap.svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const theirs = await call(MAP, { id: generateMap.id }, { token: other.accessToken });
    expectError(theirs, 'NOT_FOUND');
    expect(theirs.body.errors![0].message).toBe(
      (await call(MAP, { id: crypto.randomUUID() }, { token: other.accessToken })).body.errors![0].message,
    );
    expectError(await call(MAP, { id: 'not-a-uuid' }, { token: owner.accessToken }), 'VALIDATION_ERROR', 'id');
    expectError(await call(MAP, { id: generateMap.id }), 'UNAUTHENTICATED');
  });

  it('relationshipMaps lists the user own maps, newest first, with limit and offset', async () => {
    const user = await registerAndLogin('mapl');
    const other = await registerAndLogin('mapl');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(ok(await generate(user, { nodes: nodes(2) })).generateMap.id);
    ok(await generate(other, { nodes: nodes(2) }));
    const list = async (args: string) =>
      ok(await call(`{ me { relationshipMaps${args} { id } } }`, {}, { token: user.accessToken })).me.relationshipMaps.map(
        (m: any) => m.id,
      );
    expect(await list('')).toEqual([...ids].reverse());
    expect(await list('(limit: 1, offset: 1)')).toEqual([ids[1]]);
    expectError(await call(`{ me { relationshipMaps(limit: 101) { id } } }`, {}, { token: user.accessToken }), 'VALIDATION_ERROR', 'limit');
  });

  it("a subgraph reached directly will not resolve another user's maps or preferences", async () => {
    const owner = await registerAndLogin('mapd');
    const other = await registerAndLogin('mapd');
    for (const field of ['relationshipMaps { id }', 'mapPreferences { maxNodes }', 'facebook { connected }']) {
      const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { ${field} } } }`;
      const res = await call(
        entities,
        { r: [{ __typename: 'User', id: owner.id }] },
        { token: other.accessToken, url: `${serviceUrl('relationship-map')}/graphql` },
      );
      expect(
        res.body.errors?.map((e) => e.extensions?.code),
        field,
      ).toEqual(['FORBIDDEN']);
    }
  });

  it('observationTextTemplates serves the seed templates', async () => {
    const user = await registerAndLogin('mapt');
    const { observationTextTemplates } = ok(await call(`{ observationTextTemplates { near mid far } }`, {}, { token: user.accessToken }));
    expect(observationTextTemplates).toEqual(TEMPLATES);
  });
});

describe('Facebook when it is not configured', () => {
  it('connect and signals answer SERVICE_UNAVAILABLE with a clear message; the rest works and nothing is written', async () => {
    const user = await registerAndLogin('mapf');
    const connect = await call(
      `mutation { connectFacebook(input: { accessToken: "EAAtoken" }) { connected } }`,
      {},
      { token: user.accessToken },
    );
    expectError(connect, 'SERVICE_UNAVAILABLE');
    expect(connect.body.errors![0].message).toMatch(/Facebook .*not configured/i);
    expect(connect.body.errors![0].extensions!.reason).toBe('FACEBOOK_NOT_CONFIGURED');
    expectError(await call(`{ aggregateSignals { postCount } }`, {}, { token: user.accessToken }), 'SERVICE_UNAVAILABLE');
    const { me } = ok(await call(`{ me { facebook { connected facebookUserId connectedAt } } }`, {}, { token: user.accessToken }));
    expect(me.facebook).toEqual({ connected: false, facebookUserId: null, connectedAt: null });
    const { disconnectFacebook } = ok(
      await call(`mutation { disconnectFacebook { connected disconnectedAt } }`, {}, { token: user.accessToken }),
    );
    expect(disconnectFacebook.connected).toBe(false);
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
    ok(await generate(user, { nodes: nodes(2) }));
  });

  it.each([0, 91, -1])('aggregateSignals(windowDays: %i) is VALIDATION_ERROR before anything else', async (windowDays) => {
    const user = await registerAndLogin('mapf');
    expectError(
      await call(`query($w: Int) { aggregateSignals(windowDays: $w) { postCount } }`, { w: windowDays }, { token: user.accessToken }),
      'VALIDATION_ERROR',
      'windowDays',
    );
  });
});

describe('erasure', () => {
  async function userWithData(prefix: string) {
    const user = await registerAndLogin(prefix);
    ok(await call(UPDATE_PREFERENCES, { input: { maxNodes: 9 } }, { token: user.accessToken }));
    ok(await generate(user, { nodes: nodes(3) }));
    ok(await generate(user, { nodes: nodes(2) }));
    expect(await relationshipMapRows(db, user.id)).toMatchObject({ map_preferences: 1, relationship_maps: 2 });
    return user;
  }

  it("deleteAllData erases the caller's maps and preferences (back to defaults), not another user's; the account stays", async () => {
    const user = await userWithData('mapx');
    const bystander = await userWithData('mapx');
    expect(ok(await call(DELETE_ALL, {}, { token: user.accessToken })).deleteAllData).toBe(true);
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
    expect(await relationshipMapRows(db, bystander.id)).toMatchObject({ map_preferences: 1, relationship_maps: 2 });
    const { me } = ok(
      await call(`{ me { username mapPreferences { maxNodes updatedAt } relationshipMaps { id } } }`, {}, { token: user.accessToken }),
    );
    expect(me).toEqual({ username: user.username, mapPreferences: { maxNodes: 12, updatedAt: null }, relationshipMaps: [] });
    expect(ok(await call(DELETE_ALL, {}, { token: user.accessToken })).deleteAllData).toBe(true);
  });

  it('account deletion waits for relationship-map too, and leaves no row of the user', async () => {
    const user = await userWithData('mapz');
    const { deleteMe } = ok(await call(`mutation { deleteMe { id pendingServices } }`, {}, { token: user.accessToken }));
    expect(deleteMe.pendingServices).toContain('relationship-map');
    await eventually(
      async () =>
        (await call(`query($id: ID!) { deletionStatus(id: $id) { completedAt } }`, { id: deleteMe.id })).body.data?.deletionStatus
          ?.completedAt,
      20_000,
    );
    expect(await relationshipMapRows(db, user.id)).toEqual(NO_ROWS);
  });
});
