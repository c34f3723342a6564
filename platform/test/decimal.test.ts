import { describe, expect, it } from 'vitest';
import { DecimalScalar, decimal } from '../src/decimal.js';

describe('decimal', () => {
  it('adds and multiplies without floating-point drift', () => {
    expect(decimal.add('0.1', '0.2')).toBe('0.3');
    expect(decimal.multiply('149900', 3)).toBe('449700');
    expect(decimal.multiply('19.99', 3)).toBe('59.97');
    expect(decimal.fromUnits(decimal.toUnits('1.0500'))).toBe('1.05');
  });
  it('normalises Postgres numeric text and compares', () => {
    expect(decimal.normalize('149900.0000')).toBe('149900');
    expect(decimal.normalize('-0.0000')).toBe('0');
    expect(decimal.normalize('007.5010')).toBe('7.501');
    expect(() => decimal.normalize('1.23456')).toThrow(/not a decimal/);
    expect(decimal.compare('10', '9.9999')).toBe(1);
    expect(decimal.compare('-1', '0')).toBe(-1);
  });
  it('normalises as the integer round trip does, for any decimal it accepts', () => {
    const digits = (n: number) => Array.from({ length: n }, () => '0012345679'[Math.floor(Math.random() * 10)]).join('');
    for (let i = 0; i < 5_000; i++) {
      const fraction = Math.random() < 0.3 ? '' : `.${digits(1 + Math.floor(Math.random() * 4))}`;
      const value = `${Math.random() < 0.3 ? '-' : ''}${digits(1 + Math.floor(Math.random() * 14))}${fraction}`;
      expect(decimal.normalize(value), value).toBe(decimal.fromUnits(decimal.toUnits(value)));
    }
  });
  it('the scalar serialises to a JSON number and refuses what it cannot hold exactly', () => {
    expect(DecimalScalar.serialize('299000.0000')).toBe(299000);
    expect(DecimalScalar.parseValue(12.5)).toBe('12.5');
    expect(DecimalScalar.parseValue('149900')).toBe('149900');
    expect(() => DecimalScalar.parseValue(1.23456)).toThrow(/Decimal/);
    expect(() => DecimalScalar.parseValue('1e5')).toThrow(/Decimal/);
    expect(() => DecimalScalar.parseValue(Number.NaN)).toThrow(/Decimal/);
  });
});
