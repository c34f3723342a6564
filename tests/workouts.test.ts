/**
 * workouts subgraph through the gateway: workouts and their sets (every use case of seed 002
 * appendix B), the rules with their error codes, ownership (another user's record is NOT_FOUND),
 * pagination and time ranges, `User.workouts` federated from users, and the GDPR erasure.
 * Each test owns fresh users; Postgres is only read, to prove what was (not) written.
 */
import { describe, expect, it } from 'vitest';
import { eventually, gql, loginAdmin, loginAs, registerAndLogin, serviceUrl, type TestUser } from './support/client.js';
import {
  at,
  call,
  callSubgraph,
  expectCode,
  expectValidationError,
  globalExercise,
  NIL_UUID,
  ok,
  Q,
  useWorkoutsDb,
} from './support/workouts.js';

const db = useWorkoutsDb();

const T0 = Date.parse('2026-03-02T07:00:00.000Z');

async function createWorkout(user: TestUser, startedAt: string, note?: string | null) {
  return ok(Q.createWorkout, { input: { startedAt, ...(note !== undefined ? { note } : {}) } }, user);
}

async function addSet(user: TestUser, workoutId: string, input: Record<string, unknown>) {
  return ok(Q.addSet, { workoutId, input }, user);
}

describe('createWorkout / workout', () => {
  it('creates a workout of the caller, not ended, with no sets, times in RFC 3339', async () => {
    const user = await registerAndLogin('wk');
    const before = Date.now();
    const created = await createWorkout(user, '2026-03-02T16:30:00+09:00', 'Leg day');
    expect(created).toMatchObject({ startedAt: '2026-03-02T07:30:00.000Z', endedAt: null, note: 'Leg day', sets: [] });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(created.updatedAt).toBe(created.createdAt);

    expect(await ok(Q.workout, { id: created.id }, user)).toEqual(created);
    const [row] = await db.workouts(user.id);
    expect(row).toMatchObject({ id: created.id, user_id: user.id, note: 'Leg day', ended_at: null });
  });

  it('needs a signed-in user', async () => {
    expectCode(await call(Q.createWorkout, { input: { startedAt: at(T0, 0) } }), 'UNAUTHENTICATED');
    expectCode(await call(Q.workouts), 'UNAUTHENTICATED');
    expectCode(await call(Q.ongoing), 'UNAUTHENTICATED');
  });

  it('refuses a missing or malformed startedAt and an over-long note, writing nothing', async () => {
    const user = await registerAndLogin('wkbad');
    expectCode(await callSubgraph(Q.createWorkout, { input: { note: 'no start' } }, user), 'VALIDATION_ERROR');
    expectCode(await callSubgraph(Q.createWorkout, { input: { startedAt: null } }, user), 'VALIDATION_ERROR');
    expect((await call(Q.createWorkout, { input: { note: 'no start' } }, user)).body.errors).toBeDefined();
    expectCode(await call(Q.createWorkout, { input: { startedAt: 'yesterday' } }, user), 'VALIDATION_ERROR');
    expectCode(await call(Q.createWorkout, { input: { startedAt: '2026-03-02 07:00' } }, user), 'VALIDATION_ERROR');
    expectValidationError(await call(Q.createWorkout, { input: { startedAt: at(T0, 0), note: 'x'.repeat(1001) } }, user), ['note']);
    expectValidationError(await call(Q.createWorkout, { input: { startedAt: at(T0, 0), note: 'nul\u0000' } }, user), ['note']);
    expectValidationError(await call(Q.createWorkout, { input: { startedAt: '0001-01-01T00:00:00Z' } }, user), ['startedAt']);
    expect(await db.workouts(user.id)).toEqual([]);
    expect((await ok(Q.workouts, {}, user)).total).toBe(0);
  });

  it('answers a malformed id with VALIDATION_ERROR naming the argument', async () => {
    const user = await registerAndLogin('wkid');
    expectValidationError(await call(Q.workout, { id: 'not-a-uuid' }, user), ['id']);
    expectValidationError(await call(Q.updateWorkout, { id: '1234', input: { note: 'x' } }, user), ['id']);
    expectValidationError(await call(Q.endWorkout, { id: "'; drop table workouts; --" }, user), ['id']);
    expectValidationError(await call(Q.deleteWorkout, { id: 'abc' }, user), ['id']);
    expectValidationError(await call(Q.addSet, { workoutId: 'w', input: { exerciseId: 'e', reps: -1 } }, user), [
      'workoutId',
      'exerciseId',
      'reps',
    ]);
    expectValidationError(await call(Q.updateSet, { id: 'nope', input: { reps: 1 } }, user), ['id']);
    expectValidationError(await call(Q.deleteSet, { id: 'nope' }, user), ['id']);
    // A well-formed id that matches nothing is simply not found.
    expectCode(await call(Q.workout, { id: NIL_UUID }, user), 'NOT_FOUND');
  });
});

describe('updateWorkout', () => {
  it('changes only the fields given; null clears note and endedAt', async () => {
    const user = await registerAndLogin('wkupd');
    const w = await createWorkout(user, at(T0, 0), 'first note');

    const noted = await ok(Q.updateWorkout, { id: w.id, input: { note: 'second note' } }, user);
    expect(noted).toMatchObject({ startedAt: w.startedAt, endedAt: null, note: 'second note' });
    expect(Date.parse(noted.updatedAt)).toBeGreaterThanOrEqual(Date.parse(w.updatedAt));

    const moved = await ok(Q.updateWorkout, { id: w.id, input: { startedAt: at(T0, -30), endedAt: at(T0, 45) } }, user);
    expect(moved).toMatchObject({ startedAt: at(T0, -30), endedAt: at(T0, 45), note: 'second note' });

    const cleared = await ok(Q.updateWorkout, { id: w.id, input: { note: null, endedAt: null } }, user);
    expect(cleared).toMatchObject({ startedAt: at(T0, -30), endedAt: null, note: null });
    expect(await db.workout(w.id)).toMatchObject({ note: null, ended_at: null });

    // An empty input changes nothing.
    expect(await ok(Q.updateWorkout, { id: w.id, input: {} }, user)).toMatchObject({ startedAt: at(T0, -30), endedAt: null, note: null });
  });

  it('refuses null for startedAt and an end before the start, leaving the row unchanged', async () => {
    const user = await registerAndLogin('wkupdbad');
    const w = await createWorkout(user, at(T0, 0), 'keep');
    await ok(Q.endWorkout, { id: w.id, endedAt: at(T0, 60) }, user);
    const before = await db.workout(w.id);

    expectValidationError(await call(Q.updateWorkout, { id: w.id, input: { startedAt: null } }, user), ['startedAt']);
    expectValidationError(await call(Q.updateWorkout, { id: w.id, input: { endedAt: at(T0, -1) } }, user), ['endedAt']);
    expectValidationError(await call(Q.updateWorkout, { id: w.id, input: { startedAt: at(T0, 61), note: 'changed' } }, user), [
      'startedAt',
    ]);
    expectValidationError(await call(Q.updateWorkout, { id: w.id, input: { startedAt: at(T0, 10), endedAt: at(T0, 5) } }, user), [
      'endedAt',
    ]);
    expectValidationError(await call(Q.updateWorkout, { id: w.id, input: { note: 'y'.repeat(1001), startedAt: null } }, user), [
      'note',
      'startedAt',
    ]);

    expect(await db.workout(w.id)).toEqual(before);
    // endedAt == startedAt is allowed.
    expect(await ok(Q.updateWorkout, { id: w.id, input: { endedAt: at(T0, 0) } }, user)).toMatchObject({ endedAt: at(T0, 0) });
  });
});

describe('endWorkout', () => {
  it('defaults endedAt to now, accepts an explicit time, and refuses one before the start', async () => {
    const user = await registerAndLogin('wkend');
    const w = await createWorkout(user, new Date(Date.now() - 3_600_000).toISOString());
    const before = Date.now();
    const ended = await ok(Q.endWorkout, { id: w.id }, user);
    expect(Date.parse(ended.endedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(ended.endedAt)).toBeLessThanOrEqual(Date.now() + 1000);

    const explicit = await ok(Q.endWorkout, { id: w.id, endedAt: new Date(before - 60_000).toISOString() }, user);
    expect(explicit.endedAt).toBe(new Date(before - 60_000).toISOString());

    const future = await createWorkout(user, new Date(Date.now() + 3_600_000).toISOString());
    expectValidationError(await call(Q.endWorkout, { id: future.id }, user), ['endedAt']);
    expectValidationError(await call(Q.endWorkout, { id: w.id, endedAt: new Date(before - 7_200_000).toISOString() }, user), ['endedAt']);
    expect((await db.workout(future.id)).ended_at).toBeNull();
    expect((await db.workout(w.id)).ended_at.toISOString()).toBe(explicit.endedAt);
  });
});

describe('ongoingWorkout', () => {
  it("is the caller's latest-started workout without endedAt, or null", async () => {
    const user = await registerAndLogin('wkongoing');
    expect(await ok(Q.ongoing, {}, user)).toBeNull();
    const older = await createWorkout(user, at(T0, 0));
    const newer = await createWorkout(user, at(T0, 90));
    const ended = await createWorkout(user, at(T0, 200));
    await ok(Q.endWorkout, { id: ended.id, endedAt: at(T0, 230) }, user);

    expect((await ok(Q.ongoing, {}, user)).id).toBe(newer.id);
    await ok(Q.endWorkout, { id: newer.id, endedAt: at(T0, 120) }, user);
    expect((await ok(Q.ongoing, {}, user)).id).toBe(older.id);
    await ok(Q.endWorkout, { id: older.id, endedAt: at(T0, 30) }, user);
    expect(await ok(Q.ongoing, {}, user)).toBeNull();

    // Another user's ongoing workout is not the caller's.
    const other = await registerAndLogin('wkongoing2');
    await createWorkout(other, at(T0, 500));
    expect(await ok(Q.ongoing, {}, user)).toBeNull();
  });
});

describe('workouts (list)', () => {
  it('pages 25 workouts 10 at a time, newest start first, with the right total on every page', async () => {
    const user = await registerAndLogin('wklist');
    const created: string[] = [];
    for (let i = 0; i < 25; i++) created.push((await createWorkout(user, at(T0, i * 60))).id);
    const newestFirst = [...created].reverse();

    const seen: string[] = [];
    for (const [offset, size] of [
      [0, 10],
      [10, 10],
      [20, 5],
      [30, 0],
    ] as const) {
      const page = await ok(Q.workouts, { limit: 10, offset }, user);
      expect(page).toMatchObject({ total: 25, limit: 10, offset });
      expect(page.items).toHaveLength(size);
      seen.push(...page.items.map((w: { id: string }) => w.id));
    }
    expect(seen).toEqual(newestFirst);

    const defaults = await ok(Q.workouts, {}, user);
    expect(defaults).toMatchObject({ total: 25, limit: 20, offset: 0 });
    expect(defaults.items).toHaveLength(20);
    expect((await ok(Q.workouts, { limit: 100 }, user)).items).toHaveLength(25);
    expect(await ok(Q.workoutsPage, { limit: 100, offset: 24 }, user)).toEqual({ total: 25, limit: 100, offset: 24 });
  });

  it('filters by from <= startedAt < to', async () => {
    const user = await registerAndLogin('wkrange');
    for (let i = 0; i < 6; i++) await createWorkout(user, at(T0, i * 60));
    const page = await ok(Q.workouts, { from: at(T0, 60), to: at(T0, 240) }, user);
    expect(page.total).toBe(3);
    expect(page.items.map((w: { startedAt: string }) => w.startedAt)).toEqual([at(T0, 180), at(T0, 120), at(T0, 60)]);
    expect((await ok(Q.workouts, { from: at(T0, 300) }, user)).total).toBe(1);
    expect((await ok(Q.workouts, { to: at(T0, 60) }, user)).total).toBe(1);
    expect((await ok(Q.workouts, { from: at(T0, 60), to: at(T0, 60) }, user)).total).toBe(0);
    // A "today" window as the LINE flow asks for it, with an offset in the times.
    expect((await ok(Q.workouts, { from: '2026-03-02T00:00:00+09:00', to: '2026-03-03T00:00:00+09:00' }, user)).total).toBe(6);
  });

  it('refuses a bad limit, offset or range', async () => {
    const user = await registerAndLogin('wklistbad');
    expectValidationError(await call(Q.workoutsPage, { limit: 101 }, user), ['limit']);
    expectValidationError(await call(Q.workoutsPage, { limit: 0 }, user), ['limit']);
    expectValidationError(await call(Q.workoutsPage, { offset: -1 }, user), ['offset']);
    expectValidationError(await call(Q.workoutsPage, { limit: -5, offset: -1 }, user), ['limit', 'offset']);
    expectValidationError(await call(Q.workoutsPage, { from: at(T0, 10), to: at(T0, 0) }, user), ['to']);
    expectCode(await call(Q.workoutsPage, { from: 'last week' }, user), 'VALIDATION_ERROR');
  });

  it("never lists another user's workouts", async () => {
    const [a, b] = await Promise.all([registerAndLogin('wkowna'), registerAndLogin('wkownb')]);
    await createWorkout(a, at(T0, 0));
    await createWorkout(b, at(T0, 0));
    await createWorkout(b, at(T0, 10));
    expect((await ok(Q.workouts, {}, a)).total).toBe(1);
    expect((await ok(Q.workouts, {}, b)).total).toBe(2);
  });
});

describe('sets', () => {
  it('adds sets numbered 0..n in order, resolves their exercise, and keeps weights exactly', async () => {
    const user = await registerAndLogin('wkset');
    const bench = await globalExercise(user, 'Bench Press');
    const squat = await globalExercise(user, 'Squat');
    const w = await createWorkout(user, at(T0, 0));

    const s0 = await addSet(user, w.id, { exerciseId: bench.id, reps: 8, weightKg: 62.5, note: 'warm-up' });
    const s1 = await addSet(user, w.id, { exerciseId: bench.id, reps: 5, weightKg: 80.125 });
    const s2 = await addSet(user, w.id, { exerciseId: squat.id, reps: 0 });
    expect(s0).toMatchObject({
      workoutId: w.id,
      setIndex: 0,
      reps: 8,
      weightKg: 62.5,
      note: 'warm-up',
      exercise: { id: bench.id, name: 'Bench Press', isGlobal: true },
    });
    expect(s1).toMatchObject({ setIndex: 1, weightKg: 80.125, note: null });
    expect(s2).toMatchObject({ setIndex: 2, reps: 0, weightKg: null, exercise: { name: 'Squat' } });

    const detail = await ok(Q.workout, { id: w.id }, user);
    expect(detail.sets.map((s: { id: string; setIndex: number }) => [s.id, s.setIndex])).toEqual([
      [s0.id, 0],
      [s1.id, 1],
      [s2.id, 2],
    ]);
    expect(detail.sets[0]).toEqual(s0);
    const rows = await db.setsOf(w.id);
    expect(rows.map((r) => r.weight_kg)).toEqual(['62.500', '80.125', null]);
  });

  it('refuses reps < 0, weightKg <= 0 and a missing exercise, writing nothing', async () => {
    const user = await registerAndLogin('wksetbad');
    const bench = await globalExercise(user, 'Bench Press');
    const w = await createWorkout(user, at(T0, 0));
    expectValidationError(await call(Q.addSet, { workoutId: w.id, input: { exerciseId: bench.id, reps: -1 } }, user), ['reps']);
    expectValidationError(await call(Q.addSet, { workoutId: w.id, input: { exerciseId: bench.id, reps: 5, weightKg: 0 } }, user), [
      'weightKg',
    ]);
    expectValidationError(await call(Q.addSet, { workoutId: w.id, input: { exerciseId: bench.id, reps: 5, weightKg: -2.5 } }, user), [
      'weightKg',
    ]);
    expectValidationError(await call(Q.addSet, { workoutId: w.id, input: { exerciseId: bench.id, reps: 5, weightKg: 1e9 } }, user), [
      'weightKg',
    ]);
    expectValidationError(await call(Q.addSet, { workoutId: w.id, input: { exerciseId: bench.id, reps: 5, weightKg: 0.0001 } }, user), [
      'weightKg',
    ]);
    expectValidationError(await call(Q.addSet, { workoutId: w.id, input: { exerciseId: 'bench', reps: 5 } }, user), ['exerciseId']);
    expectCode(await callSubgraph(Q.addSet, { workoutId: w.id, input: { exerciseId: bench.id, reps: null } }, user), 'VALIDATION_ERROR');
    expectCode(await call(Q.addSet, { workoutId: w.id, input: { exerciseId: NIL_UUID, reps: 5 } }, user), 'NOT_FOUND');
    expectCode(await call(Q.addSet, { workoutId: NIL_UUID, input: { exerciseId: bench.id, reps: 5 } }, user), 'NOT_FOUND');
    expect(await db.sets(user.id)).toEqual([]);
    // A failed add does not use up a set number.
    expect((await addSet(user, w.id, { exerciseId: bench.id, reps: 5 })).setIndex).toBe(0);
  });

  it("needs a visible, active exercise: another user's is NOT_FOUND, an inactive one is refused", async () => {
    const [user, other] = await Promise.all([registerAndLogin('wksetex'), registerAndLogin('wksetex2')]);
    const theirs = await ok(Q.createExercise, { input: { name: 'Their Secret Lift', type: 'strength' } }, other);
    const mine = await ok(Q.createExercise, { input: { name: 'My Lift', type: 'strength' } }, user);
    const w = await createWorkout(user, at(T0, 0));

    expectCode(await call(Q.addSet, { workoutId: w.id, input: { exerciseId: theirs.id, reps: 5 } }, user), 'NOT_FOUND');
    const own = await addSet(user, w.id, { exerciseId: mine.id, reps: 5 });
    expect(own.exercise).toMatchObject({ id: mine.id, name: 'My Lift', isGlobal: false });

    await ok(Q.updateExercise, { id: mine.id, input: { isActive: false } }, user);
    expectValidationError(await call(Q.addSet, { workoutId: w.id, input: { exerciseId: mine.id, reps: 5 } }, user), ['exerciseId']);
    expect(await db.setsOf(w.id)).toHaveLength(1);
    // The existing set keeps (and still shows) its now inactive exercise.
    expect((await ok(Q.workout, { id: w.id }, user)).sets[0].exercise).toMatchObject({ id: mine.id, isActive: false });
  });

  it('updates a set partially; null clears weight and note but not reps or the exercise', async () => {
    const user = await registerAndLogin('wksetupd');
    const bench = await globalExercise(user, 'Bench Press');
    const row = await globalExercise(user, 'Barbell Row');
    const w = await createWorkout(user, at(T0, 0));
    const s = await addSet(user, w.id, { exerciseId: bench.id, reps: 8, weightKg: 60, note: 'easy' });

    expect(await ok(Q.updateSet, { id: s.id, input: { reps: 10 } }, user)).toMatchObject({
      reps: 10,
      weightKg: 60,
      note: 'easy',
      setIndex: 0,
    });
    expect(await ok(Q.updateSet, { id: s.id, input: { exerciseId: row.id, weightKg: 52.5 } }, user)).toMatchObject({
      reps: 10,
      weightKg: 52.5,
      exercise: { name: 'Barbell Row' },
    });
    expect(await ok(Q.updateSet, { id: s.id, input: { weightKg: null, note: null } }, user)).toMatchObject({
      reps: 10,
      weightKg: null,
      note: null,
    });

    const before = await db.set(s.id);
    expectValidationError(await call(Q.updateSet, { id: s.id, input: { reps: null } }, user), ['reps']);
    expectValidationError(await call(Q.updateSet, { id: s.id, input: { exerciseId: null } }, user), ['exerciseId']);
    expectValidationError(await call(Q.updateSet, { id: s.id, input: { reps: -3, weightKg: 0 } }, user), ['reps', 'weightKg']);
    expectCode(await call(Q.updateSet, { id: s.id, input: { exerciseId: NIL_UUID } }, user), 'NOT_FOUND');
    expect(await db.set(s.id)).toEqual(before);
  });

  it('deletes a set; the others keep their setIndex and the next set takes a new number', async () => {
    const user = await registerAndLogin('wksetdel');
    const bench = await globalExercise(user, 'Bench Press');
    const w = await createWorkout(user, at(T0, 0));
    const sets = [];
    for (let i = 0; i < 3; i++) sets.push(await addSet(user, w.id, { exerciseId: bench.id, reps: i + 1 }));

    expect(await ok(Q.deleteSet, { id: sets[1].id }, user)).toBe(true);
    expectCode(await call(Q.deleteSet, { id: sets[1].id }, user), 'NOT_FOUND');
    const next = await addSet(user, w.id, { exerciseId: bench.id, reps: 9 });
    expect(next.setIndex).toBe(3);
    const detail = await ok(Q.workout, { id: w.id }, user);
    expect(detail.sets.map((s: { setIndex: number; reps: number }) => [s.setIndex, s.reps])).toEqual([
      [0, 1],
      [2, 3],
      [3, 9],
    ]);
  });

  it('gives concurrent adds distinct, gap-free numbers', async () => {
    const user = await registerAndLogin('wksetrace');
    const bench = await globalExercise(user, 'Bench Press');
    const w = await createWorkout(user, at(T0, 0));
    const added = await Promise.all(Array.from({ length: 8 }, (_, i) => addSet(user, w.id, { exerciseId: bench.id, reps: i })));
    expect(added.map((s) => s.setIndex).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('deleteWorkout', () => {
  it('deletes the workout and its sets', async () => {
    const user = await registerAndLogin('wkdel');
    const bench = await globalExercise(user, 'Bench Press');
    const w = await createWorkout(user, at(T0, 0));
    const keep = await createWorkout(user, at(T0, 100));
    await addSet(user, w.id, { exerciseId: bench.id, reps: 5 });
    await addSet(user, w.id, { exerciseId: bench.id, reps: 5 });
    await addSet(user, keep.id, { exerciseId: bench.id, reps: 5 });

    expect(await ok(Q.deleteWorkout, { id: w.id }, user)).toBe(true);
    expect(await db.workout(w.id)).toBeUndefined();
    expect(await db.setsOf(w.id)).toEqual([]);
    expect(await db.setsOf(keep.id)).toHaveLength(1);
    expectCode(await call(Q.workout, { id: w.id }, user), 'NOT_FOUND');
    expectCode(await call(Q.deleteWorkout, { id: w.id }, user), 'NOT_FOUND');
    expect((await ok(Q.workouts, {}, user)).total).toBe(1);
  });
});

describe("another user's records", () => {
  it('are NOT_FOUND (never FORBIDDEN) for every read and write, and stay unchanged', async () => {
    const [owner, intruder] = await Promise.all([registerAndLogin('wkown'), registerAndLogin('wkintruder')]);
    const bench = await globalExercise(owner, 'Bench Press');
    const w = await createWorkout(owner, at(T0, 0), 'mine');
    const s = await addSet(owner, w.id, { exerciseId: bench.id, reps: 5, weightKg: 100 });
    const workoutBefore = await db.workout(w.id);
    const setBefore = await db.set(s.id);

    const attempts = [
      call(Q.workout, { id: w.id }, intruder),
      call(Q.updateWorkout, { id: w.id, input: { note: 'hacked' } }, intruder),
      call(Q.endWorkout, { id: w.id }, intruder),
      call(Q.deleteWorkout, { id: w.id }, intruder),
      call(Q.addSet, { workoutId: w.id, input: { exerciseId: bench.id, reps: 1 } }, intruder),
      call(Q.updateSet, { id: s.id, input: { reps: 99 } }, intruder),
      call(Q.deleteSet, { id: s.id }, intruder),
    ];
    for (const result of await Promise.all(attempts)) expectCode(result, 'NOT_FOUND');

    expect(await db.workout(w.id)).toEqual(workoutBefore);
    expect(await db.set(s.id)).toEqual(setBefore);
    expect(await db.setsOf(w.id)).toHaveLength(1);
    expect(await db.workouts(intruder.id)).toEqual([]);
    expect((await ok(Q.workout, { id: w.id }, owner)).sets).toHaveLength(1);
  });
});

describe('User.workouts (federated from users)', () => {
  const ME = `query Me($from: DateTime, $to: DateTime, $limit: Int) {
    me { id username workouts(from: $from, to: $to, limit: $limit) { total limit offset items { id startedAt sets { setIndex reps exercise { name } } } } } }`;

  it('resolves me { workouts } across users and workouts, with sets and their exercises', async () => {
    const user = await registerAndLogin('wkme');
    const bench = await globalExercise(user, 'Bench Press');
    const deadlift = await globalExercise(user, 'Deadlift');
    const w1 = await createWorkout(user, at(T0, 0));
    const w2 = await createWorkout(user, at(T0, 60));
    await addSet(user, w1.id, { exerciseId: bench.id, reps: 5 });
    await addSet(user, w1.id, { exerciseId: deadlift.id, reps: 3 });
    await addSet(user, w2.id, { exerciseId: deadlift.id, reps: 1 });

    const me = await ok(ME, {}, user);
    expect(me).toMatchObject({ id: user.id, username: user.username });
    expect(me.workouts).toMatchObject({ total: 2, limit: 20, offset: 0 });
    expect(me.workouts.items).toEqual([
      { id: w2.id, startedAt: at(T0, 60), sets: [{ setIndex: 0, reps: 1, exercise: { name: 'Deadlift' } }] },
      {
        id: w1.id,
        startedAt: at(T0, 0),
        sets: [
          { setIndex: 0, reps: 5, exercise: { name: 'Bench Press' } },
          { setIndex: 1, reps: 3, exercise: { name: 'Deadlift' } },
        ],
      },
    ]);
    const ranged = await ok(ME, { from: at(T0, 30), limit: 5 }, user);
    expect(ranged.workouts).toMatchObject({ total: 1, limit: 5, items: [{ id: w2.id }] });
    const ME_TOTAL = `query MeTotal($limit: Int, $offset: Int) { me { workouts(limit: $limit, offset: $offset) { total } } }`;
    expectValidationError(await call(ME_TOTAL, { limit: 101, offset: -1 }, user), ['limit', 'offset']);
  });

  it('is FORBIDDEN for anyone but the user themself, and readable by an admin', async () => {
    const [owner, other] = await Promise.all([registerAndLogin('wkfedown'), registerAndLogin('wkfedother')]);
    await createWorkout(owner, at(T0, 0));
    // `login` returns the owner's User; asked with another user's token, their workouts stay closed.
    const LOGIN_WORKOUTS = `mutation L($input: LoginInput!) { login(input: $input) { user { id workouts { total } } } }`;
    const viaGateway = await call(LOGIN_WORKOUTS, { input: { usernameOrEmail: owner.username, password: owner.password } }, other);
    expectCode(viaGateway, 'FORBIDDEN');

    const ENTITIES = `query E($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id workouts { total } } } }`;
    const reps = [{ __typename: 'User', id: owner.id }];
    const direct = await gql(ENTITIES, { reps }, { url: `${serviceUrl('workouts')}/graphql`, token: other.accessToken });
    expectCode(direct, 'FORBIDDEN');
    const self = await gql(ENTITIES, { reps }, { url: `${serviceUrl('workouts')}/graphql`, token: owner.accessToken });
    expect(self.body.data?._entities).toEqual([{ id: owner.id, workouts: { total: 1 } }]);
    const anonymous = await gql(ENTITIES, { reps }, { url: `${serviceUrl('workouts')}/graphql` });
    expectCode(anonymous, 'UNAUTHENTICATED');

    const admin = await loginAdmin();
    const asAdmin = await gql(ENTITIES, { reps }, { url: `${serviceUrl('workouts')}/graphql`, token: admin.accessToken });
    expect(asAdmin.body.data?._entities).toEqual([{ id: owner.id, workouts: { total: 1 } }]);
  });
});

describe('erasure (deleteMe)', () => {
  const DELETE_ME = `mutation { deleteMe { id pendingServices } }`;
  const STATUS = `query S($id: ID!) { deletionStatus(id: $id) { completedAt pendingServices } }`;

  it('removes every workout, set, own exercise and body metric of the user, and workouts confirms', async () => {
    const [user, bystander] = await Promise.all([registerAndLogin('wkerase'), registerAndLogin('wkbystander')]);
    const mine = await ok(Q.createExercise, { input: { name: 'Erasable Lift', type: 'strength' } }, user);
    const bench = await globalExercise(user, 'Bench Press');
    for (let i = 0; i < 3; i++) {
      const w = await createWorkout(user, at(T0, i * 60));
      await addSet(user, w.id, { exerciseId: mine.id, reps: 5 });
      await addSet(user, w.id, { exerciseId: bench.id, reps: 5 });
    }
    await ok(Q.createBodyMetric, { input: { measuredAt: at(T0, 0), weightKg: 70 } }, user);
    const kept = await createWorkout(bystander, at(T0, 0));
    await addSet(bystander, kept.id, { exerciseId: bench.id, reps: 1 });

    const request = await ok(DELETE_ME, {}, user);
    expect(request.pendingServices).toContain('workouts');
    const done = await eventually(async () => {
      const status = await ok(STATUS, { id: request.id });
      return status?.completedAt ? status : null;
    }, 20_000);
    expect(done.pendingServices).toEqual([]);

    expect(await db.workouts(user.id)).toEqual([]);
    expect(await db.sets(user.id)).toEqual([]);
    expect(await db.ownExercises(user.id)).toEqual([]);
    expect(await db.bodyMetrics(user.id)).toEqual([]);
    // Nobody else's data, nor the global exercises, went with it.
    expect(await db.workouts(bystander.id)).toHaveLength(1);
    expect(await db.sets(bystander.id)).toHaveLength(1);
    expect(await db.exercise(bench.id)).toBeDefined();
    // The account is gone: its credentials no longer work.
    await expect(loginAs(user.username, user.password)).rejects.toThrow();
  });
});
