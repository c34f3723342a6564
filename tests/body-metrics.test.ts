/**
 * Body metrics through the gateway: create / list / update / delete (seed 002 appendix B), the
 * rules (weightKg > 0, bodyFatPct 0..100, from <= to, limit 1..100) with nothing written on bad
 * input, exact decimals, and another user's metric invisible (NOT_FOUND).
 */
import { describe, expect, it } from 'vitest';
import { registerAndLogin, type TestUser } from './support/client.js';
import { at, call, callSubgraph, expectCode, expectValidationError, NIL_UUID, ok, Q, useWorkoutsDb } from './support/workouts.js';

const db = useWorkoutsDb();

const T0 = Date.parse('2026-04-01T06:30:00.000Z');

const createMetric = (user: TestUser, input: Record<string, unknown>) => ok(Q.createBodyMetric, { input }, user);

describe('createBodyMetric', () => {
  it('stores a measurement exactly as given', async () => {
    const user = await registerAndLogin('bm');
    const m = await createMetric(user, { measuredAt: '2026-04-01T15:30:00+09:00', weightKg: 62.5, bodyFatPct: 18.25, note: 'morning' });
    expect(m).toMatchObject({ measuredAt: '2026-04-01T06:30:00.000Z', weightKg: 62.5, bodyFatPct: 18.25, note: 'morning' });
    const bare = await createMetric(user, { measuredAt: at(T0, 60), weightKg: 70.125 });
    expect(bare).toMatchObject({ weightKg: 70.125, bodyFatPct: null, note: null });
    expect(await createMetric(user, { measuredAt: at(T0, 120), weightKg: 0.001, bodyFatPct: 0 })).toMatchObject({
      weightKg: 0.001,
      bodyFatPct: 0,
    });
    expect(await createMetric(user, { measuredAt: at(T0, 180), weightKg: 1000, bodyFatPct: 100 })).toMatchObject({
      weightKg: 1000,
      bodyFatPct: 100,
    });

    const rows = await db.bodyMetrics(user.id);
    expect(rows.map((r) => [r.weight_kg, r.body_fat_pct])).toEqual([
      ['62.500', '18.250'],
      ['70.125', null],
      ['0.001', '0.000'],
      ['1000.000', '100.000'],
    ]);
  });

  it('refuses weightKg <= 0, bodyFatPct outside 0..100 and a missing measuredAt, writing nothing', async () => {
    const user = await registerAndLogin('bmbad');
    const when = at(T0, 0);
    expectValidationError(await call(Q.createBodyMetric, { input: { measuredAt: when, weightKg: 0 } }, user), ['weightKg']);
    expectValidationError(await call(Q.createBodyMetric, { input: { measuredAt: when, weightKg: -70 } }, user), ['weightKg']);
    expectValidationError(await call(Q.createBodyMetric, { input: { measuredAt: when, weightKg: 1000.5 } }, user), ['weightKg']);
    expectValidationError(await call(Q.createBodyMetric, { input: { measuredAt: when, weightKg: 70, bodyFatPct: 100.5 } }, user), [
      'bodyFatPct',
    ]);
    expectValidationError(await call(Q.createBodyMetric, { input: { measuredAt: when, weightKg: 70, bodyFatPct: -0.1 } }, user), [
      'bodyFatPct',
    ]);
    expectValidationError(await call(Q.createBodyMetric, { input: { measuredAt: when, weightKg: -1, bodyFatPct: 101 } }, user), [
      'weightKg',
      'bodyFatPct',
    ]);
    expectValidationError(await call(Q.createBodyMetric, { input: { measuredAt: when, weightKg: 70.0001 } }, user), ['weightKg']);
    expectCode(await callSubgraph(Q.createBodyMetric, { input: { weightKg: 70 } }, user), 'VALIDATION_ERROR');
    expectCode(await callSubgraph(Q.createBodyMetric, { input: { measuredAt: when } }, user), 'VALIDATION_ERROR');
    expectCode(await callSubgraph(Q.createBodyMetric, { input: { measuredAt: when, weightKg: null } }, user), 'VALIDATION_ERROR');
    expect((await call(Q.createBodyMetric, { input: { measuredAt: when } }, user)).body.errors).toBeDefined();
    expectCode(await call(Q.createBodyMetric, { input: { measuredAt: when, weightKg: 70 } }), 'UNAUTHENTICATED');
    expect(await db.bodyMetrics(user.id)).toEqual([]);
  });
});

describe('bodyMetrics (list)', () => {
  it('lists newest first, pages with the right total, and filters from <= measuredAt < to', async () => {
    const user = await registerAndLogin('bmlist');
    for (let i = 0; i < 23; i++) await createMetric(user, { measuredAt: at(T0, i * 1440), weightKg: Number((70 + i / 10).toFixed(1)) });

    const seen: string[] = [];
    for (const [offset, size] of [
      [0, 10],
      [10, 10],
      [20, 3],
    ] as const) {
      const page = await ok(Q.bodyMetrics, { limit: 10, offset }, user);
      expect(page).toMatchObject({ total: 23, limit: 10, offset });
      expect(page.items).toHaveLength(size);
      seen.push(...page.items.map((m: { measuredAt: string }) => m.measuredAt));
    }
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => at(T0, (22 - i) * 1440)));
    expect(await ok(Q.bodyMetrics, {}, user)).toMatchObject({ total: 23, limit: 20, offset: 0 });

    const week = await ok(Q.bodyMetrics, { from: at(T0, 1440), to: at(T0, 8 * 1440) }, user);
    expect(week.total).toBe(7);
    expect(week.items[0]).toMatchObject({ measuredAt: at(T0, 7 * 1440), weightKg: 70.7 });
    expect(week.items.at(-1).measuredAt).toBe(at(T0, 1440));

    expectValidationError(await call(Q.bodyMetricsPage, { from: at(T0, 10), to: at(T0, 0) }, user), ['to']);
    expectValidationError(await call(Q.bodyMetricsPage, { limit: 101, offset: -10 }, user), ['limit', 'offset']);
    expectValidationError(await call(Q.bodyMetricsPage, { limit: 0 }, user), ['limit']);

    const other = await registerAndLogin('bmlist2');
    expect((await ok(Q.bodyMetrics, {}, other)).total).toBe(0);
  });
});

describe('updateBodyMetric / deleteBodyMetric', () => {
  it('updates partially; null clears bodyFatPct and note but not weightKg or measuredAt', async () => {
    const user = await registerAndLogin('bmupd');
    const m = await createMetric(user, { measuredAt: at(T0, 0), weightKg: 80, bodyFatPct: 20, note: 'before' });

    expect(await ok(Q.updateBodyMetric, { id: m.id, input: { weightKg: 79.4 } }, user)).toMatchObject({
      weightKg: 79.4,
      bodyFatPct: 20,
      note: 'before',
      measuredAt: m.measuredAt,
    });
    expect(await ok(Q.updateBodyMetric, { id: m.id, input: { bodyFatPct: null, note: null, measuredAt: at(T0, 5) } }, user)).toMatchObject({
      weightKg: 79.4,
      bodyFatPct: null,
      note: null,
      measuredAt: at(T0, 5),
    });

    const before = await db.bodyMetric(m.id);
    expectValidationError(await call(Q.updateBodyMetric, { id: m.id, input: { weightKg: null } }, user), ['weightKg']);
    expectValidationError(await call(Q.updateBodyMetric, { id: m.id, input: { measuredAt: null } }, user), ['measuredAt']);
    expectValidationError(await call(Q.updateBodyMetric, { id: m.id, input: { weightKg: 0, bodyFatPct: 150 } }, user), [
      'weightKg',
      'bodyFatPct',
    ]);
    expectValidationError(await call(Q.updateBodyMetric, { id: 'metric-1', input: { weightKg: 70 } }, user), ['id']);
    expectCode(await call(Q.updateBodyMetric, { id: NIL_UUID, input: { weightKg: 70 } }, user), 'NOT_FOUND');
    expect(await db.bodyMetric(m.id)).toEqual(before);
  });

  it('deletes a metric of the caller', async () => {
    const user = await registerAndLogin('bmdel');
    const m = await createMetric(user, { measuredAt: at(T0, 0), weightKg: 65 });
    const keep = await createMetric(user, { measuredAt: at(T0, 10), weightKg: 66 });
    expect(await ok(Q.deleteBodyMetric, { id: m.id }, user)).toBe(true);
    expect(await db.bodyMetric(m.id)).toBeUndefined();
    expectCode(await call(Q.deleteBodyMetric, { id: m.id }, user), 'NOT_FOUND');
    expectValidationError(await call(Q.deleteBodyMetric, { id: '42' }, user), ['id']);
    expect((await ok(Q.bodyMetrics, {}, user)).items.map((x: { id: string }) => x.id)).toEqual([keep.id]);
  });

  it("leaves another user's metric alone: NOT_FOUND and unchanged", async () => {
    const [owner, intruder] = await Promise.all([registerAndLogin('bmowner'), registerAndLogin('bmintruder')]);
    const m = await createMetric(owner, { measuredAt: at(T0, 0), weightKg: 58.5, bodyFatPct: 22 });
    const before = await db.bodyMetric(m.id);
    expectCode(await call(Q.updateBodyMetric, { id: m.id, input: { weightKg: 99 } }, intruder), 'NOT_FOUND');
    expectCode(await call(Q.deleteBodyMetric, { id: m.id }, intruder), 'NOT_FOUND');
    expect(await db.bodyMetric(m.id)).toEqual(before);
    expect((await ok(Q.bodyMetrics, {}, intruder)).total).toBe(0);
  });
});
