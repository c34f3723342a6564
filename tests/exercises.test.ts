/**
 * Exercises through the gateway: the seeded global list, a user's own exercises (create, update,
 * delete), visibility (global + own), the q / type / onlyMine filters, name uniqueness (CONFLICT),
 * global exercises read-only (FORBIDDEN) and another user's invisible (NOT_FOUND).
 */
import { describe, expect, it } from 'vitest';
import { registerAndLogin, type TestUser, unique } from './support/client.js';
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

const createExercise = (user: TestUser, input: Record<string, unknown>) => ok(Q.createExercise, { input }, user);

describe('the global exercise list', () => {
  it('is seeded: common exercises, global, active, sorted by name', async () => {
    const user = await registerAndLogin('exglobal');
    const page = await ok(Q.exercises, { limit: 50 }, user);
    expect(page.total).toBeGreaterThanOrEqual(20);
    const names = page.items.map((e: { name: string }) => e.name);
    for (const name of ['Bench Press', 'Squat', 'Deadlift', 'Overhead Press', 'Pull-up', 'Barbell Row', 'Running'])
      expect(names).toContain(name);
    // By lower-cased name, byte order (the name key's collation is "C" on every database).
    const key = (n: string) => n.toLowerCase();
    expect(names).toEqual([...names].sort((a: string, b: string) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)));
    for (const e of page.items) expect(e).toMatchObject({ isGlobal: true, isActive: true });
    expect(page.items.find((e: { name: string }) => e.name === 'Squat')).toMatchObject({ type: 'strength', primaryMuscle: 'quadriceps' });
    expect(page.items.find((e: { name: string }) => e.name === 'Running')).toMatchObject({ type: 'cardio' });

    const bench = await globalExercise(user, 'Bench Press');
    expect(await ok(Q.exercise, { id: bench.id }, user)).toMatchObject({ id: bench.id, name: 'Bench Press', isGlobal: true });
  });

  it('cannot be changed or deleted by a user (FORBIDDEN), and stays as it was', async () => {
    const user = await registerAndLogin('exforbid');
    const bench = await globalExercise(user, 'Bench Press');
    const before = await db.exercise(bench.id);
    expectCode(await call(Q.updateExercise, { id: bench.id, input: { name: 'My Bench' } }, user), 'FORBIDDEN');
    expectCode(await call(Q.updateExercise, { id: bench.id, input: { isActive: false } }, user), 'FORBIDDEN');
    expectCode(await call(Q.deleteExercise, { id: bench.id }, user), 'FORBIDDEN');
    expect(await db.exercise(bench.id)).toEqual(before);
  });
});

describe('own exercises', () => {
  it('creates one, visible to its owner only, with isGlobal false', async () => {
    const [user, other] = await Promise.all([registerAndLogin('exown'), registerAndLogin('exother')]);
    const created = await createExercise(user, { name: '  Zercher Squat ', type: 'strength', primaryMuscle: 'quadriceps' });
    expect(created).toMatchObject({
      name: 'Zercher Squat',
      type: 'strength',
      primaryMuscle: 'quadriceps',
      isActive: true,
      isGlobal: false,
    });
    expect(await ok(Q.exercise, { id: created.id }, user)).toEqual(created);
    expect((await db.exercise(created.id)).owner_id).toBe(user.id);

    const mine = await ok(Q.exercises, { onlyMine: true }, user);
    expect(mine).toMatchObject({ total: 1, items: [created] });
    const all = await ok(Q.exercises, { q: 'squat', limit: 50 }, user);
    expect(all.items.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['Squat', 'Zercher Squat', 'Front Squat']));

    // Invisible to anyone else: not listed, NOT_FOUND by id, not changeable, not deletable.
    expect((await ok(Q.exercises, { q: 'zercher' }, other)).total).toBe(0);
    expect((await ok(Q.exercises, { onlyMine: true }, other)).total).toBe(0);
    const before = await db.exercise(created.id);
    expectCode(await call(Q.exercise, { id: created.id }, other), 'NOT_FOUND');
    expectCode(await call(Q.updateExercise, { id: created.id, input: { name: 'Stolen' } }, other), 'NOT_FOUND');
    expectCode(await call(Q.deleteExercise, { id: created.id }, other), 'NOT_FOUND');
    expect(await db.exercise(created.id)).toEqual(before);
  });

  it('refuses a name already visible to the user (own or global), case-insensitively, writing nothing', async () => {
    const [user, other] = await Promise.all([registerAndLogin('exdup'), registerAndLogin('exdup2')]);
    await createExercise(user, { name: 'Landmine Press', type: 'strength' });

    for (const name of ['landmine press', 'LANDMINE  PRESS', 'Bench Press', 'bench press']) {
      const result = await call(Q.createExercise, { input: { name, type: 'strength' } }, user);
      expectCode(result, 'CONFLICT', name);
      expect(result.body.errors![0].extensions?.field).toBe('name');
    }
    expect(await db.ownExercises(user.id)).toHaveLength(1);
    // Names are per user: someone else may use the same name for their own.
    expect(await createExercise(other, { name: 'Landmine Press', type: 'strength' })).toMatchObject({ isGlobal: false });
  });

  it('lets only one of two simultaneous creates of a name through', async () => {
    const user = await registerAndLogin('exrace');
    const name = `Race ${unique('x')}`;
    const results = await Promise.all(Array.from({ length: 5 }, () => call(Q.createExercise, { input: { name, type: 'strength' } }, user)));
    expect(results.filter((r) => !r.body.errors)).toHaveLength(1);
    for (const r of results.filter((r) => r.body.errors)) expectCode(r, 'CONFLICT');
    expect(await db.ownExercises(user.id)).toHaveLength(1);
  });

  it('refuses a bad name, type or primaryMuscle, writing nothing', async () => {
    const user = await registerAndLogin('exbad');
    expectValidationError(await call(Q.createExercise, { input: { name: '   ', type: 'strength' } }, user), ['name']);
    expectValidationError(await call(Q.createExercise, { input: { name: 'x'.repeat(101), type: '' } }, user), ['name', 'type']);
    expectValidationError(
      await call(Q.createExercise, { input: { name: 'Tab\tName', type: 'strength', primaryMuscle: 'm'.repeat(51) } }, user),
      ['name', 'primaryMuscle'],
    );
    expectCode(await callSubgraph(Q.createExercise, { input: { name: 'No type' } }, user), 'VALIDATION_ERROR');
    expect((await call(Q.createExercise, { input: { name: 'No type' } }, user)).body.errors).toBeDefined();
    expect(await db.ownExercises(user.id)).toEqual([]);
  });

  it('updates partially: null clears primaryMuscle, isActive toggles, a rename must stay unique', async () => {
    const user = await registerAndLogin('exupd');
    const a = await createExercise(user, { name: 'Sled Push', type: 'conditioning', primaryMuscle: 'legs' });
    const b = await createExercise(user, { name: 'Sled Pull', type: 'conditioning' });

    expect(await ok(Q.updateExercise, { id: a.id, input: { type: 'strength' } }, user)).toMatchObject({
      name: 'Sled Push',
      type: 'strength',
      primaryMuscle: 'legs',
    });
    expect(await ok(Q.updateExercise, { id: a.id, input: { primaryMuscle: null, isActive: false } }, user)).toMatchObject({
      name: 'Sled Push',
      primaryMuscle: null,
      isActive: false,
    });
    expect(await ok(Q.updateExercise, { id: a.id, input: { isActive: true, name: 'SLED PUSH' } }, user)).toMatchObject({
      name: 'SLED PUSH',
      isActive: true,
    });

    const before = await db.exercise(a.id);
    for (const name of ['sled pull', 'Deadlift']) {
      const conflict = await call(Q.updateExercise, { id: a.id, input: { name } }, user);
      expectCode(conflict, 'CONFLICT', name);
    }
    expectValidationError(await call(Q.updateExercise, { id: a.id, input: { name: null } }, user), ['name']);
    expectValidationError(await call(Q.updateExercise, { id: a.id, input: { type: null, isActive: null } }, user), ['type', 'isActive']);
    expectValidationError(await call(Q.updateExercise, { id: 'sled', input: { name: 'x' } }, user), ['id']);
    expectCode(await call(Q.updateExercise, { id: NIL_UUID, input: { name: 'x' } }, user), 'NOT_FOUND');
    expect(await db.exercise(a.id)).toEqual(before);
    expect((await db.exercise(b.id)).name).toBe('Sled Pull');
  });

  it('deletes an unused exercise; one used by a set is a CONFLICT (deactivate it instead)', async () => {
    const user = await registerAndLogin('exdel');
    const unused = await createExercise(user, { name: 'Unused Lift', type: 'strength' });
    const used = await createExercise(user, { name: 'Used Lift', type: 'strength' });
    const w = await ok(Q.createWorkout, { input: { startedAt: at(Date.now(), 0) } }, user);
    await ok(Q.addSet, { workoutId: w.id, input: { exerciseId: used.id, reps: 3 } }, user);

    expect(await ok(Q.deleteExercise, { id: unused.id }, user)).toBe(true);
    expectCode(await call(Q.exercise, { id: unused.id }, user), 'NOT_FOUND');
    expectCode(await call(Q.deleteExercise, { id: unused.id }, user), 'NOT_FOUND');

    expectCode(await call(Q.deleteExercise, { id: used.id }, user), 'CONFLICT');
    expect(await db.exercise(used.id)).toBeDefined();
    expect(await ok(Q.updateExercise, { id: used.id, input: { isActive: false } }, user)).toMatchObject({ isActive: false });
    // Once its workout is gone, it can go too.
    await ok(Q.deleteWorkout, { id: w.id }, user);
    expect(await ok(Q.deleteExercise, { id: used.id }, user)).toBe(true);
    expect(await db.ownExercises(user.id)).toEqual([]);
  });
});

describe('exercises (list)', () => {
  it('filters by q (any part of the name, case-insensitive, wildcards literal), type and onlyMine', async () => {
    const user = await registerAndLogin('exfilter');
    await createExercise(user, { name: 'Kettlebell Swing', type: 'Conditioning' });
    await createExercise(user, { name: '100% Effort Sprint', type: 'cardio' });
    await createExercise(user, { name: 'Farmer_Walk', type: 'conditioning' });

    const bell = await ok(Q.exercises, { q: 'BELL SW' }, user);
    expect(bell.items.map((e: { name: string }) => e.name)).toEqual(['Kettlebell Swing']);
    expect((await ok(Q.exercises, { q: '%', onlyMine: true }, user)).items.map((e: { name: string }) => e.name)).toEqual([
      '100% Effort Sprint',
    ]);
    expect((await ok(Q.exercises, { q: '_', onlyMine: true }, user)).items.map((e: { name: string }) => e.name)).toEqual(['Farmer_Walk']);

    const conditioning = await ok(Q.exercises, { type: 'conditioning', limit: 50 }, user);
    expect(conditioning.items.map((e: { name: string }) => e.name)).toEqual(['Farmer_Walk', 'Kettlebell Swing']);
    const cardio = await ok(Q.exercises, { type: 'cardio', limit: 50 }, user);
    expect(cardio.total).toBeGreaterThanOrEqual(4);
    for (const e of cardio.items) expect(e.type.toLowerCase()).toBe('cardio');
    expect(cardio.items.some((e: { isGlobal: boolean }) => !e.isGlobal)).toBe(true);
    expect((await ok(Q.exercises, { type: 'cardio', onlyMine: true }, user)).total).toBe(1);
    // Empty filters are no filters.
    expect((await ok(Q.exercises, { q: '', type: ' ', onlyMine: true }, user)).total).toBe(3);

    expectValidationError(await call(Q.exercisesPage, { q: 'q'.repeat(101), limit: 101 }, user), ['q', 'limit']);
    expectValidationError(await call(Q.exercisesPage, { offset: -1 }, user), ['offset']);
    expect(await ok(Q.exercisesPage, { limit: 100 }, user)).toMatchObject({ limit: 100, offset: 0 });
  });

  it('pages own exercises with the right total', async () => {
    const user = await registerAndLogin('expage');
    for (let i = 0; i < 12; i++) await createExercise(user, { name: `Drill ${String(i).padStart(2, '0')}`, type: 'skill' });
    const seen: string[] = [];
    for (const offset of [0, 5, 10]) {
      const page = await ok(Q.exercises, { onlyMine: true, limit: 5, offset }, user);
      expect(page).toMatchObject({ total: 12, limit: 5, offset });
      seen.push(...page.items.map((e: { name: string }) => e.name));
    }
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `Drill ${String(i).padStart(2, '0')}`));
  });
});
