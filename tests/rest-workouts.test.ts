/**
 * REST facade, workouts and sets (seed 002 appendix A): every route's happy path with its
 * documented status and a body that matches the route's own `response` schema from the route
 * table; 401 for missing or bad credentials; another user's records are 404 and untouched; every
 * invalid input is 400 naming the field with nothing written; pagination and from/to; the cookie
 * (BFF) flow; and the same operation through REST and through /graphql returning the same data.
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
const T0 = Date.parse('2026-04-06T06:00:00.000Z');

async function createWorkout(user: TestUser, startedAt: string, note?: string | null) {
  const res = await client(user).post('/api/workouts', { startedAt, ...(note !== undefined ? { note } : {}) });
  return expectSuccess(res, 'POST', '/api/workouts');
}

async function globalExercise(user: TestUser, name: string) {
  const res = await client(user).get(`/api/exercises?q=${encodeURIComponent(name)}&limit=50`);
  const found = expectSuccess(res, 'GET', '/api/exercises').items.find((e: any) => e.name === name && e.isGlobal);
  expect(found, name).toBeDefined();
  return found;
}

async function addSet(user: TestUser, workoutId: string, input: Record<string, unknown>) {
  return expectSuccess(await client(user).post(`/api/workouts/${workoutId}/sets`, input), 'POST', '/api/workouts/:workoutId/sets');
}

/** A workout with two sets (bench press, then squat), for the tests that need a populated record. */
async function workoutWithSets(user: TestUser, minutes = 0) {
  const w = await createWorkout(user, at(T0, minutes), 'push');
  const bench = await globalExercise(user, 'Bench Press');
  const squat = await globalExercise(user, 'Squat');
  const s0 = await addSet(user, w.id, { exerciseId: bench.id, reps: 8, weightKg: 60 });
  const s1 = await addSet(user, w.id, { exerciseId: squat.id, reps: 5, weightKg: 100.5, note: 'deep' });
  return { workout: w, sets: [s0, s1], bench, squat };
}

const detailOf = async (user: TestUser, id: string) =>
  expectSuccess(await client(user).get(`/api/workouts/${id}/detail`), 'GET', '/api/workouts/:id/detail');

describe('POST /api/workouts', () => {
  it('201 with the created workout (documented schema), stored for the caller', async () => {
    const user = await registerAndLogin('rwcreate');
    const before = Date.now();
    const res = await client(user).post('/api/workouts', { startedAt: '2026-04-06T15:30:00+09:00', note: 'Leg day' });
    const created = expectSuccess(res, 'POST', '/api/workouts');
    expect(created).toMatchObject({ startedAt: '2026-04-06T06:30:00.000Z', endedAt: null, note: 'Leg day' });
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(await db.workout(created.id)).toMatchObject({ user_id: user.id, note: 'Leg day', ended_at: null });

    // note is optional, and null is accepted
    expect(await createWorkout(user, at(T0, 0))).toMatchObject({ note: null });
    expect(await createWorkout(user, at(T0, 1), null)).toMatchObject({ note: null });
    expect(await db.workouts(user.id)).toHaveLength(3);
  });

  it('401 without or with bad credentials, and nothing is written', async () => {
    const user = await registerAndLogin('rwcreate401');
    await expectUnauthenticated('POST', '/api/workouts', user, { startedAt: at(T0, 0) });
    expect(await db.workouts(user.id)).toEqual([]);
  });

  it('400 naming the field for every invalid body, and nothing is written', async () => {
    const user = await registerAndLogin('rwcreatebad');
    const api = client(user);
    expectInvalid(await api.post('/api/workouts', {}), ['startedAt'], 'missing startedAt');
    expectInvalid(await api.post('/api/workouts', { startedAt: null }), ['startedAt'], 'null startedAt');
    expectInvalid(await api.post('/api/workouts', { note: 'no start' }), ['startedAt'], 'no startedAt');
    for (const bad of BAD_TIMES) expectInvalid(await api.post('/api/workouts', { startedAt: bad }), ['startedAt'], `startedAt ${bad}`);
    expectInvalid(await api.post('/api/workouts', { startedAt: 1775455200000 }), ['startedAt'], 'startedAt as a number');
    expectInvalid(await api.post('/api/workouts', { startedAt: at(T0, 0), note: 42 }), ['note'], 'note as a number');
    expectInvalid(await api.post('/api/workouts', { startedAt: at(T0, 0), note: 'x'.repeat(1001) }), ['note'], 'note too long');
    // Unknown fields are refused, by name (nobody may set the owner or the id).
    expectInvalid(await api.post('/api/workouts', { startedAt: at(T0, 0), userId: NIL }), ['userId'], 'unknown userId');
    expectInvalid(
      await api.post('/api/workouts', { startedAt: at(T0, 0), id: NIL, endedAt: at(T0, 5) }),
      ['id', 'endedAt'],
      'unknown id, endedAt',
    );
    // Every bad field at once.
    expectInvalid(await api.post('/api/workouts', { startedAt: 'soon', note: false }), ['startedAt', 'note'], 'two bad fields');
    // Not an object.
    expect((await api.post('/api/workouts', [{ startedAt: at(T0, 0) }])).status).toBe(400);
    expectError(await api.post('/api/workouts', '"2026-04-06T06:00:00Z"'), 400, 'VALIDATION_ERROR', 'a JSON string');
    expectError(
      await rest('POST', '/api/workouts', {
        token: user.accessToken,
        body: '{"startedAt":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'VALIDATION_ERROR',
      'malformed JSON',
    );
    // Business rule of the subgraph: a start the platform cannot store.
    expectInvalid(await api.post('/api/workouts', { startedAt: '0001-01-01T00:00:00Z' }), ['startedAt'], 'year 1');
    expect(await db.workouts(user.id)).toEqual([]);
  });
});

describe('GET /api/workouts', () => {
  it('200 with {items,total,limit,offset} (documented schema), newest first, defaults limit 20 offset 0, only the caller’s', async () => {
    const [user, other] = await twoUsers('rwlist');
    const a = await createWorkout(user, at(T0, 0), 'a');
    const b = await createWorkout(user, at(T0, 60), 'b');
    await createWorkout(other, at(T0, 30), 'someone else');
    const page = expectSuccess(await client(user).get('/api/workouts'), 'GET', '/api/workouts');
    expect(page).toEqual({ items: [b, a], total: 2, limit: 20, offset: 0 });

    const empty = await registerAndLogin('rwlistempty');
    expect(expectSuccess(await client(empty).get('/api/workouts'), 'GET', '/api/workouts')).toEqual({
      items: [],
      total: 0,
      limit: 20,
      offset: 0,
    });
    // limit 100 (the maximum) is accepted
    expect(expectSuccess(await client(user).get('/api/workouts?limit=100'), 'GET', '/api/workouts')).toMatchObject({
      total: 2,
      limit: 100,
      offset: 0,
    });
  });

  it('pages of 10 over 25 workouts: 10/10/5, total 25 each time, no duplicates or gaps; past the end is empty', async () => {
    const user = await registerAndLogin('rwpage');
    const created = [];
    for (let i = 0; i < 25; i++) created.push(await createWorkout(user, at(T0, i * 10), `w${i}`));
    const newestFirst = created.reverse().map((w) => w.id);

    const seen: string[] = [];
    for (const [offset, size] of [
      [0, 10],
      [10, 10],
      [20, 5],
    ]) {
      const page = expectSuccess(await client(user).get(`/api/workouts?limit=10&offset=${offset}`), 'GET', '/api/workouts');
      expect(page).toMatchObject({ total: 25, limit: 10, offset });
      expect(page.items).toHaveLength(size);
      seen.push(...page.items.map((w: any) => w.id));
    }
    expect(seen).toEqual(newestFirst);
    expect(new Set(seen).size).toBe(25);
    expect(expectSuccess(await client(user).get('/api/workouts?limit=10&offset=30'), 'GET', '/api/workouts')).toEqual({
      items: [],
      total: 25,
      limit: 10,
      offset: 30,
    });
  });

  it('from/to filter on startedAt (from <= startedAt < to), with any offset, totals counted in the range', async () => {
    const user = await registerAndLogin('rwrange');
    const ws = [];
    for (let i = 0; i < 6; i++) ws.push(await createWorkout(user, at(T0, i * 60)));
    const q = (s: string) => client(user).get(`/api/workouts?${s}`);
    const ids = (page: any) => page.items.map((w: any) => w.id);

    const middle = expectSuccess(
      await q(`from=${encodeURIComponent(at(T0, 60))}&to=${encodeURIComponent(at(T0, 240))}`),
      'GET',
      '/api/workouts',
    );
    expect(middle).toMatchObject({ total: 3 });
    expect(ids(middle)).toEqual([ws[3].id, ws[2].id, ws[1].id]);

    // An offset in the time zone of the client means the same instant.
    const tokyo = expectSuccess(await q(`from=${encodeURIComponent('2026-04-06T18:00:00+09:00')}`), 'GET', '/api/workouts');
    expect(ids(tokyo)).toEqual([ws[5].id, ws[4].id, ws[3].id]);

    const to = expectSuccess(await q(`to=${encodeURIComponent(at(T0, 60))}`), 'GET', '/api/workouts');
    expect(ids(to)).toEqual([ws[0].id]);
    const paged = expectSuccess(await q(`from=${encodeURIComponent(at(T0, 60))}&limit=2&offset=2`), 'GET', '/api/workouts');
    expect(paged).toMatchObject({ total: 5, limit: 2, offset: 2 });
    expect(ids(paged)).toEqual([ws[3].id, ws[2].id]);
    // from == to is an empty range
    expect(
      expectSuccess(await q(`from=${encodeURIComponent(at(T0, 60))}&to=${encodeURIComponent(at(T0, 60))}`), 'GET', '/api/workouts'),
    ).toMatchObject({ items: [], total: 0 });
  });

  it('400 naming the parameter for bad limit, offset, from, to, from > to and unknown parameters', async () => {
    const user = await registerAndLogin('rwlistbad');
    const api = client(user);
    for (const bad of BAD_LIMITS) expectInvalid(await api.get(`/api/workouts?limit=${encodeURIComponent(bad)}`), ['limit'], `limit=${bad}`);
    for (const bad of BAD_OFFSETS)
      expectInvalid(await api.get(`/api/workouts?offset=${encodeURIComponent(bad)}`), ['offset'], `offset=${bad}`);
    for (const bad of BAD_TIMES) {
      expectInvalid(await api.get(`/api/workouts?from=${encodeURIComponent(bad)}`), ['from'], `from=${bad}`);
      expectInvalid(await api.get(`/api/workouts?to=${encodeURIComponent(bad)}`), ['to'], `to=${bad}`);
    }
    expectInvalid(
      await api.get(`/api/workouts?from=${encodeURIComponent(at(T0, 60))}&to=${encodeURIComponent(at(T0, 0))}`),
      ['to'],
      'from > to',
    );
    expectInvalid(await api.get('/api/workouts?limit=0&offset=-1&from=x'), ['limit', 'offset', 'from'], 'all at once');
    expectInvalid(await api.get('/api/workouts?page=2'), ['page'], 'unknown parameter');
    expectInvalid(await api.get('/api/workouts?userId=00000000-0000-4000-8000-000000000000'), ['userId'], 'unknown userId');
  });

  it('401 without or with bad credentials', async () => {
    const user = await registerAndLogin('rwlist401');
    await expectUnauthenticated('GET', '/api/workouts', user);
  });
});

describe('GET /api/workouts/:id/detail', () => {
  it('200 with {workout, sets} in set order, each set with exerciseId and its exercise (documented schema)', async () => {
    const user = await registerAndLogin('rwdetail');
    const { workout, sets, bench, squat } = await workoutWithSets(user);
    const detail = await detailOf(user, workout.id);
    expect(detail.workout).toEqual({ ...workout, updatedAt: detail.workout.updatedAt });
    expect(detail.sets).toEqual(sets);
    expect(detail.sets.map((s: any) => [s.setIndex, s.exerciseId, s.exercise.id])).toEqual([
      [0, bench.id, bench.id],
      [1, squat.id, squat.id],
    ]);
    expect(detail.sets[1]).toMatchObject({
      workoutId: workout.id,
      reps: 5,
      weightKg: 100.5,
      note: 'deep',
      exercise: { name: 'Squat', isGlobal: true },
    });

    const bare = await createWorkout(user, at(T0, 100));
    expect(await detailOf(user, bare.id)).toEqual({ workout: bare, sets: [] });
  });

  it("404 for another user's workout and for an id that matches nothing", async () => {
    const [owner, other] = await twoUsers('rwdetail404');
    const { workout } = await workoutWithSets(owner);
    expectError(await client(other).get(`/api/workouts/${workout.id}/detail`), 404, 'NOT_FOUND', 'other user');
    expectError(await client(owner).get(`/api/workouts/${NIL}/detail`), 404, 'NOT_FOUND', 'nil uuid');
  });

  it('400 for a path id that is not a UUID', async () => {
    const user = await registerAndLogin('rwdetailbad');
    for (const bad of BAD_IDS) expectInvalid(await client(user).get(`/api/workouts/${bad}/detail`), ['id'], bad);
  });

  it('401 without or with bad credentials', async () => {
    const user = await registerAndLogin('rwdetail401');
    const w = await createWorkout(user, at(T0, 0));
    await expectUnauthenticated('GET', `/api/workouts/${w.id}/detail`, user);
  });
});

describe('PATCH /api/workouts/:id', () => {
  it('200 with the updated workout: absent fields stay, null clears note and endedAt', async () => {
    const user = await registerAndLogin('rwpatch');
    const w = await createWorkout(user, at(T0, 0), 'first');
    const path = `/api/workouts/${w.id}`;
    const noted = expectSuccess(await client(user).patch(path, { note: 'second' }), 'PATCH', '/api/workouts/:id');
    expect(noted).toMatchObject({ id: w.id, startedAt: w.startedAt, endedAt: null, note: 'second' });

    const moved = expectSuccess(
      await client(user).patch(path, { startedAt: at(T0, -30), endedAt: '2026-04-06T16:00:00+09:00' }),
      'PATCH',
      '/api/workouts/:id',
    );
    expect(moved).toMatchObject({ startedAt: at(T0, -30), endedAt: at(T0, 60), note: 'second' });

    const cleared = expectSuccess(await client(user).patch(path, { endedAt: null, note: null }), 'PATCH', '/api/workouts/:id');
    expect(cleared).toMatchObject({ startedAt: at(T0, -30), endedAt: null, note: null });
    expect(await db.workout(w.id)).toMatchObject({ note: null, ended_at: null });

    const same = expectSuccess(await client(user).patch(path, {}), 'PATCH', '/api/workouts/:id');
    expect(same).toMatchObject({ startedAt: at(T0, -30), endedAt: null, note: null });
    expect((await detailOf(user, w.id)).workout).toEqual(same);
  });

  it("404 for another user's workout, which stays unchanged", async () => {
    const [owner, other] = await twoUsers('rwpatch404');
    const w = await createWorkout(owner, at(T0, 0), 'mine');
    const before = await db.workout(w.id);
    expectError(await client(other).patch(`/api/workouts/${w.id}`, { note: 'stolen', endedAt: at(T0, 5) }), 404, 'NOT_FOUND');
    expectError(await client(owner).patch(`/api/workouts/${NIL}`, { note: 'x' }), 404, 'NOT_FOUND', 'nil');
    expect(await db.workout(w.id)).toEqual(before);
    expect((await detailOf(owner, w.id)).workout).toEqual(w);
  });

  it('400 naming the field for every invalid input, and the workout stays unchanged', async () => {
    const user = await registerAndLogin('rwpatchbad');
    const w = await createWorkout(user, at(T0, 0), 'keep');
    expectSuccess(await client(user).patch(`/api/workouts/${w.id}/end`, { endedAt: at(T0, 60) }), 'PATCH', '/api/workouts/:id/end');
    const before = await db.workout(w.id);
    const api = client(user);
    const path = `/api/workouts/${w.id}`;

    for (const bad of BAD_IDS) expectInvalid(await api.patch(`/api/workouts/${bad}`, { note: 'x' }), ['id'], `id ${bad}`);
    for (const bad of BAD_TIMES) {
      expectInvalid(await api.patch(path, { startedAt: bad }), ['startedAt'], `startedAt ${bad}`);
      expectInvalid(await api.patch(path, { endedAt: bad }), ['endedAt'], `endedAt ${bad}`);
    }
    expectInvalid(await api.patch(path, { startedAt: null }), ['startedAt'], 'startedAt null');
    expectInvalid(await api.patch(path, { note: ['a'] }), ['note'], 'note as an array');
    expectInvalid(await api.patch(path, { note: 'y'.repeat(1001) }), ['note'], 'note too long');
    expectInvalid(await api.patch(path, { note: 'x', userId: NIL }), ['userId'], 'unknown field');
    // Business rules of the subgraph: the end may not be before the start, whichever side moved.
    expectInvalid(await api.patch(path, { endedAt: at(T0, -1) }), ['endedAt'], 'endedAt < startedAt');
    expectInvalid(await api.patch(path, { startedAt: at(T0, 10), endedAt: at(T0, 5), note: 'changed' }), ['endedAt'], 'both, reversed');
    expectInvalid(await api.patch(path, { startedAt: at(T0, 61), note: 'changed' }), ['startedAt'], 'start after the end');

    expect(await db.workout(w.id)).toEqual(before);
  });

  it('401 without or with bad credentials, and the workout stays unchanged', async () => {
    const user = await registerAndLogin('rwpatch401');
    const w = await createWorkout(user, at(T0, 0), 'keep');
    await expectUnauthenticated('PATCH', `/api/workouts/${w.id}`, user, { note: 'hacked' });
    expect((await detailOf(user, w.id)).workout).toEqual(w);
  });
});

describe('PATCH /api/workouts/:id/end', () => {
  it('200 with the ended workout: endedAt defaults to now (with or without a body), or the time given', async () => {
    const user = await registerAndLogin('rwend');
    const w = await createWorkout(user, new Date(Date.now() - 3_600_000).toISOString());
    const path = `/api/workouts/${w.id}/end`;
    const before = Date.now();
    const ended = expectSuccess(await client(user).patch(path), 'PATCH', '/api/workouts/:id/end');
    expect(Date.parse(ended.endedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(ended.endedAt)).toBeLessThanOrEqual(Date.now() + 1000);

    const emptyBody = expectSuccess(await client(user).patch(path, {}), 'PATCH', '/api/workouts/:id/end');
    expect(Date.parse(emptyBody.endedAt)).toBeGreaterThanOrEqual(before - 1000);

    const explicit = new Date(before - 60_000).toISOString();
    expect(expectSuccess(await client(user).patch(path, { endedAt: explicit }), 'PATCH', '/api/workouts/:id/end')).toMatchObject({
      id: w.id,
      endedAt: explicit,
    });
    expect((await detailOf(user, w.id)).workout.endedAt).toBe(explicit);
  });

  it("404 for another user's workout, which stays open", async () => {
    const [owner, other] = await twoUsers('rwend404');
    const w = await createWorkout(owner, at(T0, 0));
    expectError(await client(other).patch(`/api/workouts/${w.id}/end`, { endedAt: at(T0, 30) }), 404, 'NOT_FOUND');
    expectError(await client(other).patch(`/api/workouts/${w.id}/end`), 404, 'NOT_FOUND', 'without a body');
    expectError(await client(owner).patch(`/api/workouts/${NIL}/end`), 404, 'NOT_FOUND', 'nil');
    expect((await detailOf(owner, w.id)).workout).toEqual(w);
    expect((await db.workout(w.id)).ended_at).toBeNull();
  });

  it('400 for a bad id, a bad or early endedAt and unknown fields; the workout stays open', async () => {
    const user = await registerAndLogin('rwendbad');
    const w = await createWorkout(user, at(T0, 0));
    const api = client(user);
    for (const bad of BAD_IDS) expectInvalid(await api.patch(`/api/workouts/${bad}/end`), ['id'], `id ${bad}`);
    for (const bad of BAD_TIMES)
      expectInvalid(await api.patch(`/api/workouts/${w.id}/end`, { endedAt: bad }), ['endedAt'], `endedAt ${bad}`);
    expectInvalid(await api.patch(`/api/workouts/${w.id}/end`, { endedAt: 12 }), ['endedAt'], 'endedAt as a number');
    expectInvalid(await api.patch(`/api/workouts/${w.id}/end`, { endedAt: at(T0, -1) }), ['endedAt'], 'endedAt < startedAt');
    expectInvalid(await api.patch(`/api/workouts/${w.id}/end`, { endedAt: at(T0, 5), note: 'x' }), ['note'], 'unknown field');
    expect((await db.workout(w.id)).ended_at).toBeNull();
  });

  it('401 without or with bad credentials; the workout stays open', async () => {
    const user = await registerAndLogin('rwend401');
    const w = await createWorkout(user, at(T0, 0));
    await expectUnauthenticated('PATCH', `/api/workouts/${w.id}/end`, user, {});
    expect((await db.workout(w.id)).ended_at).toBeNull();
  });
});

describe('DELETE /api/workouts/:id', () => {
  it('204 with an empty body; the workout and its sets are gone', async () => {
    const user = await registerAndLogin('rwdel');
    const { workout } = await workoutWithSets(user);
    const keep = await createWorkout(user, at(T0, 500));
    expect(await db.setsOf(workout.id)).toHaveLength(2);
    expectSuccess(await client(user).del(`/api/workouts/${workout.id}`), 'DELETE', '/api/workouts/:id');
    expect(await db.workout(workout.id)).toBeUndefined();
    expect(await db.setsOf(workout.id)).toEqual([]);
    expectError(await client(user).get(`/api/workouts/${workout.id}/detail`), 404, 'NOT_FOUND', 'after delete');
    expectError(await client(user).del(`/api/workouts/${workout.id}`), 404, 'NOT_FOUND', 'twice');
    expect(expectSuccess(await client(user).get('/api/workouts'), 'GET', '/api/workouts')).toMatchObject({ total: 1, items: [keep] });
  });

  it("404 for another user's workout, which keeps its sets", async () => {
    const [owner, other] = await twoUsers('rwdel404');
    const { workout } = await workoutWithSets(owner);
    const before = await detailOf(owner, workout.id);
    expectError(await client(other).del(`/api/workouts/${workout.id}`), 404, 'NOT_FOUND');
    expectError(await client(owner).del(`/api/workouts/${NIL}`), 404, 'NOT_FOUND', 'nil');
    expect(await detailOf(owner, workout.id)).toEqual(before);
  });

  it('400 for a path id that is not a UUID', async () => {
    const user = await registerAndLogin('rwdelbad');
    await createWorkout(user, at(T0, 0));
    for (const bad of BAD_IDS) expectInvalid(await client(user).del(`/api/workouts/${bad}`), ['id'], bad);
    expect(await db.workouts(user.id)).toHaveLength(1);
  });

  it('401 without or with bad credentials; the workout stays', async () => {
    const user = await registerAndLogin('rwdel401');
    const w = await createWorkout(user, at(T0, 0));
    await expectUnauthenticated('DELETE', `/api/workouts/${w.id}`, user);
    expect((await detailOf(user, w.id)).workout).toEqual(w);
  });
});

describe('POST /api/workouts/:workoutId/sets', () => {
  it('201 with the set (documented schema): exerciseId beside the exercise, setIndex 0, 1, 2 ...', async () => {
    const user = await registerAndLogin('rsadd');
    const w = await createWorkout(user, at(T0, 0));
    const bench = await globalExercise(user, 'Bench Press');
    const own = expectSuccess(
      await client(user).post('/api/exercises', { name: 'Cable Crossover Low', type: 'strength' }),
      'POST',
      '/api/exercises',
    );

    const first = await addSet(user, w.id, { exerciseId: bench.id, reps: 10, weightKg: 62.5, note: 'warm-up' });
    expect(first).toEqual({
      id: first.id,
      workoutId: w.id,
      exerciseId: bench.id,
      exercise: bench,
      setIndex: 0,
      reps: 10,
      weightKg: 62.5,
      note: 'warm-up',
    });
    const second = await addSet(user, w.id, { exerciseId: own.id, reps: 0 });
    expect(second).toMatchObject({ setIndex: 1, exerciseId: own.id, exercise: own, reps: 0, weightKg: null, note: null });
    const third = await addSet(user, w.id, { exerciseId: bench.id, reps: 12, weightKg: null, note: null });
    expect(third).toMatchObject({ setIndex: 2, weightKg: null });
    expect(await db.setsOf(w.id)).toHaveLength(3);
    expect((await detailOf(user, w.id)).sets).toEqual([first, second, third]);
  });

  it("404 for another user's workout, and for an exercise the caller cannot see; nothing is written", async () => {
    const [owner, other] = await twoUsers('rsadd404');
    const w = await createWorkout(owner, at(T0, 0));
    const bench = await globalExercise(owner, 'Bench Press');
    const othersOwn = expectSuccess(
      await client(other).post('/api/exercises', { name: 'Secret Lift', type: 'strength' }),
      'POST',
      '/api/exercises',
    );

    expectError(
      await client(other).post(`/api/workouts/${w.id}/sets`, { exerciseId: bench.id, reps: 5 }),
      404,
      'NOT_FOUND',
      "other's workout",
    );
    expectError(await client(owner).post(`/api/workouts/${NIL}/sets`, { exerciseId: bench.id, reps: 5 }), 404, 'NOT_FOUND', 'nil workout');
    // Another user's own exercise is invisible: not found (ids do not reveal existence).
    expectError(
      await client(owner).post(`/api/workouts/${w.id}/sets`, { exerciseId: othersOwn.id, reps: 5 }),
      404,
      'NOT_FOUND',
      'invisible exercise',
    );
    expectError(await client(owner).post(`/api/workouts/${w.id}/sets`, { exerciseId: NIL, reps: 5 }), 404, 'NOT_FOUND', 'unknown exercise');
    expect(await db.setsOf(w.id)).toEqual([]);
    expect(await db.sets(other.id)).toEqual([]);
    // The failed adds used no set number.
    expect(await addSet(owner, w.id, { exerciseId: bench.id, reps: 5 })).toMatchObject({ setIndex: 0 });
  });

  it('400 naming the field for every invalid input and for an inactive exercise; nothing is written', async () => {
    const user = await registerAndLogin('rsaddbad');
    const w = await createWorkout(user, at(T0, 0));
    const bench = await globalExercise(user, 'Bench Press');
    const retired = expectSuccess(
      await client(user).post('/api/exercises', { name: 'Retired Move', type: 'strength' }),
      'POST',
      '/api/exercises',
    );
    expectSuccess(await client(user).patch(`/api/exercises/${retired.id}`, { isActive: false }), 'PATCH', '/api/exercises/:id');
    const api = client(user);
    const path = `/api/workouts/${w.id}/sets`;

    for (const bad of BAD_IDS)
      expectInvalid(await api.post(`/api/workouts/${bad}/sets`, { exerciseId: bench.id, reps: 5 }), ['workoutId'], `workoutId ${bad}`);
    expectInvalid(await api.post(path, { exerciseId: 'bench', reps: 5 }), ['exerciseId'], 'exerciseId not a UUID');
    expectInvalid(await api.post(path, { reps: 5 }), ['exerciseId'], 'exerciseId missing');
    expectInvalid(await api.post(path, { exerciseId: bench.id }), ['reps'], 'reps missing');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: 'ten' }), ['reps'], 'reps "ten"');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: '10' }), ['reps'], 'reps "10"');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: 1.5 }), ['reps'], 'reps 1.5');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: 3_000_000_000 }), ['reps'], 'reps beyond a 32-bit Int');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: null }), ['reps'], 'reps null');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: 5, weightKg: 'heavy' }), ['weightKg'], 'weightKg "heavy"');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: 5, note: { text: 'x' } }), ['note'], 'note object');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: 5, setIndex: 7 }), ['setIndex'], 'unknown setIndex');
    expectInvalid(
      await api.post(`/api/workouts/nope/sets`, { exerciseId: 'nope', reps: 'x' }),
      ['workoutId', 'exerciseId', 'reps'],
      'all at once',
    );
    // Business rules of the subgraph.
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: -1 }), ['reps'], 'reps < 0');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: 5, weightKg: 0 }), ['weightKg'], 'weightKg 0');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: 5, weightKg: -20 }), ['weightKg'], 'weightKg < 0');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: 5, weightKg: 60.0001 }), ['weightKg'], 'weightKg with 4 decimals');
    expectInvalid(await api.post(path, { exerciseId: retired.id, reps: 5 }), ['exerciseId'], 'inactive exercise');
    expectInvalid(await api.post(path, { exerciseId: bench.id, reps: 5, note: 'z'.repeat(1001) }), ['note'], 'note too long');

    expect(await db.setsOf(w.id)).toEqual([]);
    expect(await addSet(user, w.id, { exerciseId: bench.id, reps: 5 })).toMatchObject({ setIndex: 0 });
  });

  it('401 without or with bad credentials; nothing is written', async () => {
    const user = await registerAndLogin('rsadd401');
    const w = await createWorkout(user, at(T0, 0));
    const bench = await globalExercise(user, 'Bench Press');
    await expectUnauthenticated('POST', `/api/workouts/${w.id}/sets`, user, { exerciseId: bench.id, reps: 5 });
    expect(await db.setsOf(w.id)).toEqual([]);
  });
});

describe('PATCH /api/workout_sets/:setId', () => {
  it('200 with the updated set: absent fields stay, null clears weightKg and note, the exercise can change', async () => {
    const user = await registerAndLogin('rsupd');
    const { workout, sets, squat } = await workoutWithSets(user);
    const path = `/api/workout_sets/${sets[0].id}`;
    const reps = expectSuccess(await client(user).patch(path, { reps: 12 }), 'PATCH', '/api/workout_sets/:setId');
    expect(reps).toEqual({ ...sets[0], reps: 12 });
    const cleared = expectSuccess(await client(user).patch(path, { weightKg: null, note: null }), 'PATCH', '/api/workout_sets/:setId');
    expect(cleared).toEqual({ ...sets[0], reps: 12, weightKg: null, note: null });
    const switched = expectSuccess(
      await client(user).patch(path, { exerciseId: squat.id, weightKg: 80, note: 'moved' }),
      'PATCH',
      '/api/workout_sets/:setId',
    );
    expect(switched).toEqual({ ...sets[0], reps: 12, weightKg: 80, note: 'moved', exerciseId: squat.id, exercise: squat });
    expect(expectSuccess(await client(user).patch(path, {}), 'PATCH', '/api/workout_sets/:setId')).toEqual(switched);
    expect((await detailOf(user, workout.id)).sets).toEqual([switched, sets[1]]);
  });

  it("404 for another user's set (and an invisible exercise); the set stays unchanged", async () => {
    const [owner, other] = await twoUsers('rsupd404');
    const { workout, sets } = await workoutWithSets(owner);
    const othersOwn = expectSuccess(
      await client(other).post('/api/exercises', { name: 'Hidden Move', type: 'strength' }),
      'POST',
      '/api/exercises',
    );
    const before = await db.set(sets[0].id);
    expectError(await client(other).patch(`/api/workout_sets/${sets[0].id}`, { reps: 99 }), 404, 'NOT_FOUND', "other's set");
    expectError(
      await client(other).patch(`/api/workout_sets/${sets[0].id}`, { exerciseId: othersOwn.id }),
      404,
      'NOT_FOUND',
      "other's set, own exercise",
    );
    expectError(
      await client(owner).patch(`/api/workout_sets/${sets[0].id}`, { exerciseId: othersOwn.id }),
      404,
      'NOT_FOUND',
      'invisible exercise',
    );
    expectError(await client(owner).patch(`/api/workout_sets/${NIL}`, { reps: 1 }), 404, 'NOT_FOUND', 'nil');
    expect(await db.set(sets[0].id)).toEqual(before);
    expect((await detailOf(owner, workout.id)).sets).toEqual(sets);
  });

  it('400 naming the field for every invalid input; the set stays unchanged', async () => {
    const user = await registerAndLogin('rsupdbad');
    const { sets } = await workoutWithSets(user);
    const retired = expectSuccess(
      await client(user).post('/api/exercises', { name: 'Old Move', type: 'strength' }),
      'POST',
      '/api/exercises',
    );
    expectSuccess(await client(user).patch(`/api/exercises/${retired.id}`, { isActive: false }), 'PATCH', '/api/exercises/:id');
    const before = await db.set(sets[0].id);
    const api = client(user);
    const path = `/api/workout_sets/${sets[0].id}`;

    for (const bad of BAD_IDS) expectInvalid(await api.patch(`/api/workout_sets/${bad}`, { reps: 1 }), ['setId'], `setId ${bad}`);
    expectInvalid(await api.patch(path, { reps: 'ten' }), ['reps'], 'reps "ten"');
    expectInvalid(await api.patch(path, { reps: 2.5 }), ['reps'], 'reps 2.5');
    expectInvalid(await api.patch(path, { reps: 2 ** 31 }), ['reps'], 'reps beyond a 32-bit Int');
    expectInvalid(await api.patch(path, { reps: 10_001 }), ['reps'], 'reps > 10000');
    expectInvalid(await api.patch(path, { reps: null }), ['reps'], 'reps null');
    expectInvalid(await api.patch(path, { exerciseId: null }), ['exerciseId'], 'exerciseId null');
    expectInvalid(await api.patch(path, { exerciseId: 'squat' }), ['exerciseId'], 'exerciseId not a UUID');
    expectInvalid(await api.patch(path, { weightKg: '80kg' }), ['weightKg'], 'weightKg string');
    expectInvalid(await api.patch(path, { reps: 3, workoutId: NIL }), ['workoutId'], 'unknown workoutId');
    expectInvalid(await api.patch(path, { reps: -1 }), ['reps'], 'reps < 0');
    expectInvalid(await api.patch(path, { weightKg: 0 }), ['weightKg'], 'weightKg 0');
    expectInvalid(await api.patch(path, { weightKg: -1, note: 'changed' }), ['weightKg'], 'weightKg < 0');
    expectInvalid(await api.patch(path, { exerciseId: retired.id }), ['exerciseId'], 'inactive exercise');
    expect(await db.set(sets[0].id)).toEqual(before);
  });

  it('401 without or with bad credentials; the set stays unchanged', async () => {
    const user = await registerAndLogin('rsupd401');
    const { workout, sets } = await workoutWithSets(user);
    await expectUnauthenticated('PATCH', `/api/workout_sets/${sets[0].id}`, user, { reps: 99 });
    expect((await detailOf(user, workout.id)).sets).toEqual(sets);
  });
});

describe('DELETE /api/workout_sets/:setId', () => {
  it('204 with an empty body; the set is gone and the other keeps its number', async () => {
    const user = await registerAndLogin('rsdel');
    const { workout, sets, bench } = await workoutWithSets(user);
    expectSuccess(await client(user).del(`/api/workout_sets/${sets[0].id}`), 'DELETE', '/api/workout_sets/:setId');
    expect(await db.set(sets[0].id)).toBeUndefined();
    expect((await detailOf(user, workout.id)).sets).toEqual([sets[1]]);
    expectError(await client(user).del(`/api/workout_sets/${sets[0].id}`), 404, 'NOT_FOUND', 'twice');
    expectError(await client(user).patch(`/api/workout_sets/${sets[0].id}`, { reps: 1 }), 404, 'NOT_FOUND', 'patch after delete');
    // Numbers are never reused.
    expect(await addSet(user, workout.id, { exerciseId: bench.id, reps: 1 })).toMatchObject({ setIndex: 2 });
  });

  it("404 for another user's set, which stays", async () => {
    const [owner, other] = await twoUsers('rsdel404');
    const { workout, sets } = await workoutWithSets(owner);
    expectError(await client(other).del(`/api/workout_sets/${sets[1].id}`), 404, 'NOT_FOUND');
    expectError(await client(owner).del(`/api/workout_sets/${NIL}`), 404, 'NOT_FOUND', 'nil');
    expect((await detailOf(owner, workout.id)).sets).toEqual(sets);
  });

  it('400 for a path id that is not a UUID', async () => {
    const user = await registerAndLogin('rsdelbad');
    const { workout, sets } = await workoutWithSets(user);
    for (const bad of BAD_IDS) expectInvalid(await client(user).del(`/api/workout_sets/${bad}`), ['setId'], bad);
    expect((await detailOf(user, workout.id)).sets).toEqual(sets);
  });

  it('401 without or with bad credentials; the set stays', async () => {
    const user = await registerAndLogin('rsdel401');
    const { workout, sets } = await workoutWithSets(user);
    await expectUnauthenticated('DELETE', `/api/workout_sets/${sets[0].id}`, user);
    expect((await detailOf(user, workout.id)).sets).toEqual(sets);
  });
});

describe('cookie sessions (BFF): every workout route works with only the access_token cookie', () => {
  it('create, list, update, add / update / delete a set, detail, end, delete', async () => {
    const { userId, cookie } = await cookieSession('rwcookie');
    const call = (method: string, path: string, body?: unknown) => rest(method, path, { cookie, ...(body !== undefined ? { body } : {}) });

    const w = expectSuccess(
      await call('POST', '/api/workouts', { startedAt: at(T0, 0), note: 'from the browser' }),
      'POST',
      '/api/workouts',
    );
    expect(await db.workout(w.id)).toMatchObject({ user_id: userId });
    expect(expectSuccess(await call('GET', '/api/workouts'), 'GET', '/api/workouts')).toEqual({
      items: [w],
      total: 1,
      limit: 20,
      offset: 0,
    });
    expect(expectSuccess(await call('PATCH', `/api/workouts/${w.id}`, { note: 'edited' }), 'PATCH', '/api/workouts/:id')).toMatchObject({
      note: 'edited',
    });

    const list = expectSuccess(await call('GET', '/api/exercises?q=Deadlift'), 'GET', '/api/exercises');
    const deadlift = list.items.find((e: any) => e.name === 'Deadlift');
    const set = expectSuccess(
      await call('POST', `/api/workouts/${w.id}/sets`, { exerciseId: deadlift.id, reps: 3, weightKg: 140 }),
      'POST',
      '/api/workouts/:workoutId/sets',
    );
    expect(
      expectSuccess(await call('PATCH', `/api/workout_sets/${set.id}`, { reps: 4 }), 'PATCH', '/api/workout_sets/:setId'),
    ).toMatchObject({ reps: 4 });
    const detail = expectSuccess(await call('GET', `/api/workouts/${w.id}/detail`), 'GET', '/api/workouts/:id/detail');
    expect(detail.sets).toEqual([{ ...set, reps: 4 }]);
    expectSuccess(await call('DELETE', `/api/workout_sets/${set.id}`), 'DELETE', '/api/workout_sets/:setId');
    expect(
      expectSuccess(await call('PATCH', `/api/workouts/${w.id}/end`, { endedAt: at(T0, 45) }), 'PATCH', '/api/workouts/:id/end'),
    ).toMatchObject({ endedAt: at(T0, 45) });
    expectSuccess(await call('DELETE', `/api/workouts/${w.id}`), 'DELETE', '/api/workouts/:id');
    expect(await db.workouts(userId)).toEqual([]);
  });
});

describe('the same operation through REST and through GraphQL returns the same data', () => {
  it('GET /api/workouts equals the ListWorkouts operation on /graphql', async () => {
    const user = await registerAndLogin('rwsame');
    for (let i = 0; i < 7; i++) await createWorkout(user, at(T0, i * 30), i % 2 ? `n${i}` : null);
    const route = routeOf('GET', '/api/workouts');
    for (const query of <Record<string, string>[]>[{}, { limit: '3', offset: '2' }, { from: at(T0, 30), to: at(T0, 150), limit: '2' }]) {
      const rest_ = expectSuccess(await client(user).get(`/api/workouts?${new URLSearchParams(query)}`), 'GET', '/api/workouts');
      const data = await graphqlOf(route, { query }, user);
      expect(rest_, JSON.stringify(query)).toEqual(data.workouts);
    }
  });

  it('GET /api/workouts/:id/detail equals the WorkoutDetail operation, reshaped to {workout, sets} with exerciseId', async () => {
    const user = await registerAndLogin('rwsamedetail');
    const { workout } = await workoutWithSets(user);
    const route = routeOf('GET', '/api/workouts/:id/detail');
    const rest_ = await detailOf(user, workout.id);
    const data = await graphqlOf(route, { params: { id: workout.id } }, user);
    const { sets, ...rest } = data.workout;
    expect(sets).toHaveLength(2);
    expect(rest_).toEqual({ workout: rest, sets: sets.map((s: any) => ({ ...s, exerciseId: s.exercise.id })) });
  });
});
