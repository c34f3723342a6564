/**
 * REST facade, exercises (seed 002 appendix A): list (global + own, q / type / onlyMine, paging),
 * get, create, update, delete. Every success body is checked against the route's own `response`
 * schema; 401 for missing or bad credentials; another user's exercise is 404 and untouched; a
 * global exercise is 403 on PATCH and DELETE and untouched; invalid input is 400 naming the
 * field with nothing written; a duplicate name is 409; REST and /graphql return the same data.
 */
import { describe, expect, it } from 'vitest';
import { registerAndLogin, type TestUser } from './support/client.js';
import { rest } from './support/rest.js';
import {
  BAD_IDS,
  BAD_LIMITS,
  BAD_OFFSETS,
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

const list = async (user: TestUser, query = '') =>
  expectSuccess(await client(user).get(`/api/exercises${query ? `?${query}` : ''}`), 'GET', '/api/exercises');
const getOne = async (user: TestUser, id: string) =>
  expectSuccess(await client(user).get(`/api/exercises/${id}`), 'GET', '/api/exercises/:id');
const create = async (user: TestUser, body: Record<string, unknown>) =>
  expectSuccess(await client(user).post('/api/exercises', body), 'POST', '/api/exercises');

async function globalExercise(user: TestUser, name: string) {
  const found = (await list(user, `q=${encodeURIComponent(name)}&limit=50`)).items.find((e: any) => e.name === name && e.isGlobal);
  expect(found, name).toBeDefined();
  return found;
}

describe('GET /api/exercises', () => {
  it('200 with {items,total,limit,offset} (documented schema): the global list by name, defaults limit 20 offset 0', async () => {
    const user = await registerAndLogin('rexlist');
    const page = await list(user);
    expect(page).toMatchObject({ limit: 20, offset: 0 });
    expect(page.total).toBeGreaterThanOrEqual(24);
    expect(page.items).toHaveLength(20);
    for (const e of page.items) expect(e).toMatchObject({ isGlobal: true, isActive: true });
    const all = await list(user, 'limit=100');
    expect(all.items).toHaveLength(all.total);
    const names = all.items.map((e: any) => e.name.toLowerCase());
    expect(names).toEqual([...names].sort());
    expect(all.items.map((e: any) => e.name)).toEqual(expect.arrayContaining(['Bench Press', 'Squat', 'Deadlift', 'Running']));
  });

  it("lists the caller's own exercises with the global ones, never another user's; q, type and onlyMine filter", async () => {
    const [user, other] = await twoUsers('rexfilter');
    const zercher = await create(user, { name: 'Zercher Squat', type: 'strength', primaryMuscle: 'quadriceps' });
    const rucking = await create(user, { name: 'Rucking', type: 'Cardio' });
    const hidden = await create(other, { name: 'Sissy Squat', type: 'strength' });

    const squats = await list(user, 'q=SQUAT&limit=50');
    const names = squats.items.map((e: any) => e.name);
    expect(names).toEqual(expect.arrayContaining(['Squat', 'Front Squat', 'Zercher Squat']));
    expect(names).not.toContain(hidden.name);
    expect(squats.total).toBe(squats.items.length);

    const mine = await list(user, 'onlyMine=true');
    expect(mine).toEqual({ items: [rucking, zercher], total: 2, limit: 20, offset: 0 });
    expect((await list(user, 'onlyMine=false&limit=100')).total).toBe((await list(user, 'limit=100')).total);
    const cardio = await list(user, 'type=cardio&limit=50');
    expect(cardio.items.map((e: any) => e.name)).toEqual(expect.arrayContaining(['Running', 'Rucking']));
    for (const e of cardio.items) expect(e.type.toLowerCase()).toBe('cardio');
    expect(await list(user, 'q=zerch&onlyMine=true&type=strength')).toMatchObject({ total: 1, items: [zercher] });
    // % and _ are literal in q
    expect(await list(user, `q=${encodeURIComponent('%')}`)).toMatchObject({ total: 0, items: [] });
    expect((await list(other, 'q=zercher')).total).toBe(0);
  });

  it('pages of 5 over 12 own exercises: 5/5/2, total 12 each time, no duplicates or gaps', async () => {
    const user = await registerAndLogin('rexpage');
    const created = [];
    for (let i = 0; i < 12; i++) created.push(await create(user, { name: `Pager Move ${String(i).padStart(2, '0')}`, type: 'strength' }));
    const seen: string[] = [];
    for (const [offset, size] of [
      [0, 5],
      [5, 5],
      [10, 2],
    ]) {
      const page = await list(user, `onlyMine=true&limit=5&offset=${offset}`);
      expect(page).toMatchObject({ total: 12, limit: 5, offset });
      expect(page.items).toHaveLength(size);
      seen.push(...page.items.map((e: any) => e.id));
    }
    expect(seen).toEqual(created.map((e) => e.id));
    expect(await list(user, 'onlyMine=true&limit=5&offset=15')).toEqual({ items: [], total: 12, limit: 5, offset: 15 });
  });

  it('400 naming the parameter for bad limit, offset, onlyMine, an over-long q and unknown parameters', async () => {
    const user = await registerAndLogin('rexlistbad');
    const api = client(user);
    for (const bad of BAD_LIMITS)
      expectInvalid(await api.get(`/api/exercises?limit=${encodeURIComponent(bad)}`), ['limit'], `limit=${bad}`);
    for (const bad of BAD_OFFSETS)
      expectInvalid(await api.get(`/api/exercises?offset=${encodeURIComponent(bad)}`), ['offset'], `offset=${bad}`);
    for (const bad of ['yes', '1', 'TRUE', ''])
      expectInvalid(await api.get(`/api/exercises?onlyMine=${bad}`), ['onlyMine'], `onlyMine=${bad}`);
    expectInvalid(await api.get(`/api/exercises?q=${'a'.repeat(101)}`), ['q'], 'q too long');
    expectInvalid(await api.get(`/api/exercises?type=${'a'.repeat(51)}`), ['type'], 'type too long');
    expectInvalid(await api.get('/api/exercises?ownerId=x'), ['ownerId'], 'unknown parameter');
    expectInvalid(await api.get('/api/exercises?limit=0&onlyMine=maybe'), ['limit', 'onlyMine'], 'all at once');
  });

  it('401 without or with bad credentials', async () => {
    const user = await registerAndLogin('rexlist401');
    await expectUnauthenticated('GET', '/api/exercises', user);
  });
});

describe('GET /api/exercises/:id', () => {
  it('200 with a global exercise or one of the caller’s own (documented schema)', async () => {
    const user = await registerAndLogin('rexget');
    const squat = await globalExercise(user, 'Squat');
    expect(await getOne(user, squat.id)).toEqual(squat);
    expect(squat).toMatchObject({ type: 'strength', primaryMuscle: 'quadriceps', isGlobal: true, isActive: true });
    const own = await create(user, { name: 'Landmine Press', type: 'strength', primaryMuscle: 'shoulders' });
    expect(await getOne(user, own.id)).toEqual(own);
  });

  it("404 for another user's exercise and for an id that matches nothing", async () => {
    const [owner, other] = await twoUsers('rexget404');
    const own = await create(owner, { name: 'Private Lift', type: 'strength' });
    expectError(await client(other).get(`/api/exercises/${own.id}`), 404, 'NOT_FOUND', "other's");
    expectError(await client(owner).get(`/api/exercises/${NIL}`), 404, 'NOT_FOUND', 'nil');
  });

  it('400 for a path id that is not a UUID', async () => {
    const user = await registerAndLogin('rexgetbad');
    for (const bad of BAD_IDS) expectInvalid(await client(user).get(`/api/exercises/${bad}`), ['id'], bad);
  });

  it('401 without or with bad credentials', async () => {
    const user = await registerAndLogin('rexget401');
    const squat = await globalExercise(user, 'Squat');
    await expectUnauthenticated('GET', `/api/exercises/${squat.id}`, user);
  });
});

describe('POST /api/exercises', () => {
  it('201 with the new own exercise (documented schema): trimmed name, active, not global, stored for the caller', async () => {
    const user = await registerAndLogin('rexcreate');
    const created = await create(user, { name: '  Pendlay Row ', type: 'strength', primaryMuscle: 'back' });
    expect(created).toEqual({
      id: created.id,
      name: 'Pendlay Row',
      type: 'strength',
      primaryMuscle: 'back',
      isActive: true,
      isGlobal: false,
    });
    expect(await db.exercise(created.id)).toMatchObject({ owner_id: user.id, name: 'Pendlay Row' });
    expect(await create(user, { name: 'Farmer Walk', type: 'strength', primaryMuscle: null })).toMatchObject({ primaryMuscle: null });
    expect(await db.ownExercises(user.id)).toHaveLength(2);
  });

  it('409 CONFLICT for a name the caller already sees (own or global, any case); another user may use it', async () => {
    const [user, other] = await twoUsers('rexdup');
    await create(user, { name: 'Kettlebell Swing', type: 'strength' });
    const dup = await client(user).post('/api/exercises', { name: 'kettlebell  SWING', type: 'cardio' });
    expectError(dup, 409, 'CONFLICT', 'own duplicate');
    expect(dup.body.details).toMatchObject({ field: 'name' });
    expectError(await client(user).post('/api/exercises', { name: 'bench press', type: 'strength' }), 409, 'CONFLICT', 'global duplicate');
    expect(await db.ownExercises(user.id)).toHaveLength(1);
    expect(await create(other, { name: 'Kettlebell Swing', type: 'strength' })).toMatchObject({
      name: 'Kettlebell Swing',
      isGlobal: false,
    });
  });

  it('400 naming the field for every invalid body, and nothing is written', async () => {
    const user = await registerAndLogin('rexcreatebad');
    const api = client(user);
    expectInvalid(await api.post('/api/exercises', { type: 'strength' }), ['name'], 'name missing');
    expectInvalid(await api.post('/api/exercises', { name: 'Move' }), ['type'], 'type missing');
    expectInvalid(await api.post('/api/exercises', { name: '   ', type: 'strength' }), ['name'], 'blank name');
    expectInvalid(await api.post('/api/exercises', { name: null, type: 'strength' }), ['name'], 'null name');
    expectInvalid(await api.post('/api/exercises', { name: 42, type: 'strength' }), ['name'], 'name as a number');
    expectInvalid(await api.post('/api/exercises', { name: 'Move', type: ['strength'] }), ['type'], 'type as an array');
    expectInvalid(await api.post('/api/exercises', { name: 'x'.repeat(101), type: 'strength' }), ['name'], 'name too long');
    expectInvalid(await api.post('/api/exercises', { name: 'Move', type: 't'.repeat(51) }), ['type'], 'type too long');
    expectInvalid(
      await api.post('/api/exercises', { name: 'Move', type: 'strength', primaryMuscle: 'm'.repeat(51) }),
      ['primaryMuscle'],
      'primaryMuscle too long',
    );
    expectInvalid(
      await api.post('/api/exercises', { name: 'Move', type: 'strength', primaryMuscle: 7 }),
      ['primaryMuscle'],
      'primaryMuscle as a number',
    );
    expectInvalid(await api.post('/api/exercises', { name: 'Mo\u0007ve', type: 'strength' }), ['name'], 'control character');
    expectInvalid(await api.post('/api/exercises', { name: 'Move', type: 'strength', isGlobal: true }), ['isGlobal'], 'unknown isGlobal');
    expectInvalid(
      await api.post('/api/exercises', { name: 'Move', type: 'strength', ownerId: user.id, isActive: false }),
      ['ownerId', 'isActive'],
      'unknown fields',
    );
    expectInvalid(await api.post('/api/exercises', {}), ['name', 'type'], 'both missing');
    expect(await db.ownExercises(user.id)).toEqual([]);
    expect((await list(user, 'onlyMine=true')).total).toBe(0);
  });

  it('401 without or with bad credentials; nothing is written', async () => {
    const user = await registerAndLogin('rexcreate401');
    await expectUnauthenticated('POST', '/api/exercises', user, { name: 'Sneaky Move', type: 'strength' });
    expect(await db.ownExercises(user.id)).toEqual([]);
  });
});

describe('PATCH /api/exercises/:id', () => {
  it('200 with the updated exercise: absent fields stay, null clears primaryMuscle, isActive toggles', async () => {
    const user = await registerAndLogin('rexpatch');
    const own = await create(user, { name: 'Good Morning', type: 'strength', primaryMuscle: 'hamstrings' });
    const path = `/api/exercises/${own.id}`;
    const renamed = expectSuccess(await client(user).patch(path, { name: 'Good Mornings' }), 'PATCH', '/api/exercises/:id');
    expect(renamed).toEqual({ ...own, name: 'Good Mornings' });
    const cleared = expectSuccess(await client(user).patch(path, { primaryMuscle: null, type: 'mobility' }), 'PATCH', '/api/exercises/:id');
    expect(cleared).toEqual({ ...own, name: 'Good Mornings', primaryMuscle: null, type: 'mobility' });
    const inactive = expectSuccess(await client(user).patch(path, { isActive: false }), 'PATCH', '/api/exercises/:id');
    expect(inactive).toMatchObject({ isActive: false });
    // Inactive ones stay listed (so they can be reactivated).
    expect((await list(user, 'onlyMine=true')).items).toEqual([inactive]);
    expect(expectSuccess(await client(user).patch(path, { isActive: true }), 'PATCH', '/api/exercises/:id')).toMatchObject({
      isActive: true,
    });
    // Its own name in another case is not a conflict with itself.
    expect(expectSuccess(await client(user).patch(path, { name: 'GOOD MORNINGS' }), 'PATCH', '/api/exercises/:id')).toMatchObject({
      name: 'GOOD MORNINGS',
    });
    expect(expectSuccess(await client(user).patch(path, {}), 'PATCH', '/api/exercises/:id')).toEqual(await getOne(user, own.id));
  });

  it('403 FORBIDDEN for a global exercise, which stays unchanged', async () => {
    const user = await registerAndLogin('rexpatch403');
    const bench = await globalExercise(user, 'Bench Press');
    const before = await db.exercise(bench.id);
    expectError(await client(user).patch(`/api/exercises/${bench.id}`, { name: 'My Bench' }), 403, 'FORBIDDEN', 'rename');
    expectError(await client(user).patch(`/api/exercises/${bench.id}`, { isActive: false }), 403, 'FORBIDDEN', 'deactivate');
    expectError(await client(user).patch(`/api/exercises/${bench.id}`, {}), 403, 'FORBIDDEN', 'empty');
    expect(await db.exercise(bench.id)).toEqual(before);
    expect(await getOne(user, bench.id)).toEqual(bench);
  });

  it("404 for another user's exercise, which stays unchanged", async () => {
    const [owner, other] = await twoUsers('rexpatch404');
    const own = await create(owner, { name: 'Jefferson Curl', type: 'strength' });
    const before = await db.exercise(own.id);
    expectError(await client(other).patch(`/api/exercises/${own.id}`, { name: 'Taken Over' }), 404, 'NOT_FOUND', "other's");
    expectError(await client(other).patch(`/api/exercises/${own.id}`, { isActive: false }), 404, 'NOT_FOUND', "other's deactivate");
    expectError(await client(owner).patch(`/api/exercises/${NIL}`, { name: 'x' }), 404, 'NOT_FOUND', 'nil');
    expect(await db.exercise(own.id)).toEqual(before);
    expect(await getOne(owner, own.id)).toEqual(own);
  });

  it('409 CONFLICT when renaming onto a name the caller sees; unchanged', async () => {
    const user = await registerAndLogin('rexpatch409');
    await create(user, { name: 'Hip Thrust', type: 'strength' });
    const other = await create(user, { name: 'Glute Bridge', type: 'strength' });
    const res = await client(user).patch(`/api/exercises/${other.id}`, { name: 'hip thrust' });
    expectError(res, 409, 'CONFLICT', 'own name');
    expect(res.body.details).toMatchObject({ field: 'name' });
    expectError(
      await client(user).patch(`/api/exercises/${other.id}`, { name: 'Deadlift', isActive: false }),
      409,
      'CONFLICT',
      'global name',
    );
    expect(await getOne(user, other.id)).toEqual(other);
  });

  it('400 naming the field for every invalid input; unchanged', async () => {
    const user = await registerAndLogin('rexpatchbad');
    const own = await create(user, { name: 'Nordic Curl', type: 'strength', primaryMuscle: 'hamstrings' });
    const before = await db.exercise(own.id);
    const api = client(user);
    const path = `/api/exercises/${own.id}`;
    for (const bad of BAD_IDS) expectInvalid(await api.patch(`/api/exercises/${bad}`, { name: 'x' }), ['id'], `id ${bad}`);
    expectInvalid(await api.patch(path, { name: null }), ['name'], 'name null');
    expectInvalid(await api.patch(path, { name: '' }), ['name'], 'name empty');
    expectInvalid(await api.patch(path, { name: 5 }), ['name'], 'name as a number');
    expectInvalid(await api.patch(path, { type: null }), ['type'], 'type null');
    expectInvalid(await api.patch(path, { isActive: 'yes' }), ['isActive'], 'isActive "yes"');
    expectInvalid(await api.patch(path, { isActive: null }), ['isActive'], 'isActive null');
    expectInvalid(await api.patch(path, { primaryMuscle: 'm'.repeat(51) }), ['primaryMuscle'], 'primaryMuscle too long');
    expectInvalid(await api.patch(path, { isGlobal: true }), ['isGlobal'], 'unknown isGlobal');
    expectInvalid(await api.patch(path, { name: 'Ok Name', ownerId: NIL }), ['ownerId'], 'unknown ownerId');
    expectInvalid(await api.patch(path, { name: 'Bad\u0000Name' }), ['name'], 'control character');
    expect(await db.exercise(own.id)).toEqual(before);
  });

  it('401 without or with bad credentials; unchanged', async () => {
    const user = await registerAndLogin('rexpatch401');
    const own = await create(user, { name: 'Zottman Curl', type: 'strength' });
    await expectUnauthenticated('PATCH', `/api/exercises/${own.id}`, user, { name: 'Hacked' });
    expect(await getOne(user, own.id)).toEqual(own);
  });
});

describe('DELETE /api/exercises/:id', () => {
  it('204 with an empty body; the exercise is gone', async () => {
    const user = await registerAndLogin('rexdel');
    const own = await create(user, { name: 'Turkish Get-up', type: 'strength' });
    expectSuccess(await client(user).del(`/api/exercises/${own.id}`), 'DELETE', '/api/exercises/:id');
    expect(await db.exercise(own.id)).toBeUndefined();
    expectError(await client(user).get(`/api/exercises/${own.id}`), 404, 'NOT_FOUND', 'after delete');
    expectError(await client(user).del(`/api/exercises/${own.id}`), 404, 'NOT_FOUND', 'twice');
    // The name is free again.
    expect(await create(user, { name: 'Turkish Get-up', type: 'strength' })).toMatchObject({ name: 'Turkish Get-up' });
  });

  it('403 FORBIDDEN for a global exercise, which stays', async () => {
    const user = await registerAndLogin('rexdel403');
    const deadlift = await globalExercise(user, 'Deadlift');
    const before = await db.exercise(deadlift.id);
    expectError(await client(user).del(`/api/exercises/${deadlift.id}`), 403, 'FORBIDDEN');
    expect(await db.exercise(deadlift.id)).toEqual(before);
    expect(await getOne(user, deadlift.id)).toEqual(deadlift);
  });

  it("404 for another user's exercise, which stays", async () => {
    const [owner, other] = await twoUsers('rexdel404');
    const own = await create(owner, { name: 'Cossack Squat', type: 'strength' });
    expectError(await client(other).del(`/api/exercises/${own.id}`), 404, 'NOT_FOUND', "other's");
    expectError(await client(owner).del(`/api/exercises/${NIL}`), 404, 'NOT_FOUND', 'nil');
    expect(await getOne(owner, own.id)).toEqual(own);
  });

  it('409 CONFLICT while a set still uses it; it stays (deactivating works instead)', async () => {
    const user = await registerAndLogin('rexdel409');
    const own = await create(user, { name: 'Sled Push', type: 'strength' });
    const w = expectSuccess(await client(user).post('/api/workouts', { startedAt: '2026-04-06T06:00:00Z' }), 'POST', '/api/workouts');
    expectSuccess(
      await client(user).post(`/api/workouts/${w.id}/sets`, { exerciseId: own.id, reps: 1 }),
      'POST',
      '/api/workouts/:workoutId/sets',
    );
    expectError(await client(user).del(`/api/exercises/${own.id}`), 409, 'CONFLICT');
    expect(await getOne(user, own.id)).toEqual(own);
    expect(
      expectSuccess(await client(user).patch(`/api/exercises/${own.id}`, { isActive: false }), 'PATCH', '/api/exercises/:id'),
    ).toMatchObject({ isActive: false });
  });

  it('400 for a path id that is not a UUID', async () => {
    const user = await registerAndLogin('rexdelbad');
    await create(user, { name: 'Bear Crawl', type: 'strength' });
    for (const bad of BAD_IDS) expectInvalid(await client(user).del(`/api/exercises/${bad}`), ['id'], bad);
    expect(await db.ownExercises(user.id)).toHaveLength(1);
  });

  it('401 without or with bad credentials; the exercise stays', async () => {
    const user = await registerAndLogin('rexdel401');
    const own = await create(user, { name: 'Wall Ball', type: 'strength' });
    await expectUnauthenticated('DELETE', `/api/exercises/${own.id}`, user);
    expect(await getOne(user, own.id)).toEqual(own);
  });
});

describe('cookie sessions (BFF)', () => {
  it('every exercise route works with only the access_token cookie', async () => {
    const { userId, cookie } = await cookieSession('rexcookie');
    const call = (method: string, path: string, body?: unknown) => rest(method, path, { cookie, ...(body !== undefined ? { body } : {}) });
    const own = expectSuccess(await call('POST', '/api/exercises', { name: 'Cookie Curl', type: 'strength' }), 'POST', '/api/exercises');
    expect(await db.exercise(own.id)).toMatchObject({ owner_id: userId });
    expect(expectSuccess(await call('GET', '/api/exercises?onlyMine=true'), 'GET', '/api/exercises')).toMatchObject({
      total: 1,
      items: [own],
    });
    expect(expectSuccess(await call('GET', `/api/exercises/${own.id}`), 'GET', '/api/exercises/:id')).toEqual(own);
    expect(
      expectSuccess(await call('PATCH', `/api/exercises/${own.id}`, { primaryMuscle: 'biceps' }), 'PATCH', '/api/exercises/:id'),
    ).toMatchObject({ primaryMuscle: 'biceps' });
    expectSuccess(await call('DELETE', `/api/exercises/${own.id}`), 'DELETE', '/api/exercises/:id');
    expect(await db.ownExercises(userId)).toEqual([]);
  });
});

describe('the same operation through REST and through GraphQL returns the same data', () => {
  it('GET /api/exercises equals the ListExercises operation on /graphql', async () => {
    const user = await registerAndLogin('rexsame');
    await create(user, { name: 'Same Squat', type: 'strength' });
    await create(user, { name: 'Same Sprint', type: 'cardio' });
    const route = routeOf('GET', '/api/exercises');
    for (const query of <Record<string, string>[]>[
      {},
      { limit: '5', offset: '3' },
      { q: 'squat' },
      { type: 'cardio', onlyMine: 'true' },
      { onlyMine: 'false', limit: '100' },
    ]) {
      const restBody = await list(user, new URLSearchParams(query).toString());
      const data = await graphqlOf(route, { query }, user);
      expect(restBody, JSON.stringify(query)).toEqual(data.exercises);
    }
  });

  it('GET /api/exercises/:id equals the GetExercise operation on /graphql', async () => {
    const user = await registerAndLogin('rexsameone');
    const own = await create(user, { name: 'Same One', type: 'strength' });
    const route = routeOf('GET', '/api/exercises/:id');
    const data = await graphqlOf(route, { params: { id: own.id } }, user);
    expect(await getOne(user, own.id)).toEqual(data.exercise);
  });
});
