/** The workouts subgraph's input rules, without a server: ids, decimals, names, pages, ranges. */
import { parseInput, ValidationError } from '@app/platform';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bodyFatPct, checkRange, nameKey, pageArgs, rangeArgs, uuid, weightKg } from '../src/inputs.js';

const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).validationErrors.map((e) => e.field).sort();
  }
  throw new Error('expected a ValidationError');
};

describe('workouts input rules', () => {
  it('takes any UUID (lower-cased) and names a malformed one', () => {
    const schema = z.object({ id: uuid('Id') });
    expect(parseInput(schema, { id: ' 6F1D2C1E-7A53-4C7E-9A52-0D9C5B8E4A10 ' }).id).toBe('6f1d2c1e-7a53-4c7e-9a52-0d9c5b8e4a10');
    for (const id of ['', 'x', '6f1d2c1e7a534c7e9a520d9c5b8e4a10', "1' or '1'='1", null, 42])
      expect(fieldsOf(() => parseInput(schema, { id }))).toEqual(['id']);
  });

  it('keeps weights exactly, refusing <= 0, > max and more than 3 decimals', () => {
    const w = weightKg('Weight', 1000);
    for (const v of [62.5, 0.001, 80.125, 1000]) expect(w.parse(v)).toBe(v);
    for (const v of [0, -1, 1000.001, 0.0001, 0.1 + 0.2, Number.NaN]) expect(w.safeParse(v).success, String(v)).toBe(false);
    for (const v of [0, 18.25, 100]) expect(bodyFatPct.parse(v)).toBe(v);
    for (const v of [-0.001, 100.001]) expect(bodyFatPct.safeParse(v).success).toBe(false);
  });

  it('compares names case-, width- and spacing-insensitively', () => {
    expect(nameKey('  Bench   Press ')).toBe('bench press');
    expect(nameKey('ＢＥＮＣＨ　ｐｒｅｓｓ')).toBe('bench press');
  });

  it('defaults and bounds pages, and checks from <= to', () => {
    const schema = checkRange(z.object({ ...rangeArgs, ...pageArgs }));
    expect(parseInput(schema, {})).toEqual({ limit: 20, offset: 0 });
    expect(parseInput(schema, { limit: null, offset: null, from: null })).toMatchObject({ limit: 20, offset: 0 });
    expect(fieldsOf(() => parseInput(schema, { limit: 101, offset: -1 }))).toEqual(['limit', 'offset']);
    expect(fieldsOf(() => parseInput(schema, { from: new Date(2), to: new Date(1) }))).toEqual(['to']);
    expect(parseInput(schema, { from: new Date(1), to: new Date(1) }).limit).toBe(20);
  });
});
