/** The catalog's input rules, without a server: prices, stock, names, pages and connection cursors. */
import { parseInput, ValidationError } from '@app/platform';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectionArgs, decodeCursor, encodeCursor, nameKey, pageArgs, price, stockQuantity } from '../src/inputs.js';

const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).validationErrors.map((e) => e.field).sort();
  }
  throw new Error('expected a ValidationError');
};

describe('catalog input rules', () => {
  it('takes prices > 0 exactly, as canonical decimal strings', () => {
    expect(price.parse('149900')).toBe('149900');
    expect(price.parse('12.5000')).toBe('12.5');
    expect(price.parse('0.0001')).toBe('0.0001');
    for (const v of ['0', '-1', '0.0000', 'abc', '1.23456']) expect(price.safeParse(v).success, v).toBe(false);
    expect(price.safeParse('0').error!.issues[0].message).toBe('Price must be greater than 0');
  });

  it('takes stock 0 or more, whole', () => {
    for (const v of [0, 1, 1_000_000_000]) expect(stockQuantity.parse(v)).toBe(v);
    expect(stockQuantity.safeParse(1_000_000_001).success).toBe(false);
    for (const v of [-1, 1.5, 2_147_483_648, Number.NaN]) expect(stockQuantity.safeParse(v).success, String(v)).toBe(false);
  });

  it('compares names case-, width- and spacing-insensitively', () => {
    expect(nameKey('  Home   &  Kitchen ')).toBe('home & kitchen');
    expect(nameKey('ＢＯＯＫＳ')).toBe('books');
  });

  it('defaults and bounds limit/offset and first', () => {
    expect(parseInput(z.object(pageArgs), {})).toEqual({ limit: 20, offset: 0 });
    expect(fieldsOf(() => parseInput(z.object(pageArgs), { limit: 0, offset: -1 }))).toEqual(['limit', 'offset']);
    expect(parseInput(z.object(connectionArgs), { after: null })).toEqual({ first: 20, after: undefined });
    expect(fieldsOf(() => parseInput(z.object(connectionArgs), { first: 101 }))).toEqual(['first']);
  });

  it('round-trips cursors opaquely and refuses anything it did not make', () => {
    const position = { nameKey: 'macbook pro', id: '7b2d1a4f-6c8e-4d32-8b21-000000000001' };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('macbook');
    expect(decodeCursor(cursor)).toEqual(position);
    expect(parseInput(z.object(connectionArgs), { after: cursor }).after).toEqual(position);
    const forged = [
      'garbage!',
      Buffer.from('{"nameKey":"a","id":"x"}').toString('base64url'),
      Buffer.from('["p2","a","7b2d1a4f-6c8e-4d32-8b21-000000000001"]').toString('base64url'),
      Buffer.from('["p1",1,"7b2d1a4f-6c8e-4d32-8b21-000000000001"]').toString('base64url'),
      'x'.repeat(3000),
    ];
    for (const after of forged) {
      expect(decodeCursor(after)).toBeUndefined();
      expect(fieldsOf(() => parseInput(z.object(connectionArgs), { after }))).toEqual(['after']);
    }
  });
});
