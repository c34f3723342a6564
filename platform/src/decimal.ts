import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** Decimal places every amount carries internally (prices, totals). */
export const DECIMAL_SCALE = 4;
/** A decimal as accepted: sign, up to 14 digits, up to 4 after the point; the groups are its parts. */
const DECIMAL = /^(-?)(\d{1,14})(?:\.(\d{1,4}))?$/;
const SCALE_UNITS = 10n ** BigInt(DECIMAL_SCALE);

/**
 * Exact decimal arithmetic on amounts: values travel as strings ("149900", "12.5"), are summed
 * and multiplied as integers of 1/10^4, and never pass through a float.
 */
export const decimal = {
  isValid: (value: string) => DECIMAL.test(value),
  /** "12.5" -> 125000n */
  toUnits(value: string): bigint {
    const [, sign, whole, fraction = ''] = partsOf(value);
    const units = BigInt(whole) * SCALE_UNITS + BigInt(fraction.padEnd(DECIMAL_SCALE, '0'));
    return sign ? -units : units;
  },
  /** 125000n -> "12.5" (no trailing zeros) */
  fromUnits(units: bigint): string {
    const negative = units < 0n;
    const abs = negative ? -units : units;
    const fraction = (abs % SCALE_UNITS).toString().padStart(DECIMAL_SCALE, '0').replace(/0+$/, '');
    return `${negative ? '-' : ''}${abs / SCALE_UNITS}${fraction ? `.${fraction}` : ''}`;
  },
  add: (a: string, b: string) => decimal.fromUnits(decimal.toUnits(a) + decimal.toUnits(b)),
  multiply: (a: string, quantity: number) => decimal.fromUnits(decimal.toUnits(a) * BigInt(quantity)),
  compare: (a: string, b: string) => {
    const d = decimal.toUnits(a) - decimal.toUnits(b);
    return d === 0n ? 0 : d < 0n ? -1 : 1;
  },
  /** Postgres numeric text ("149900.0000") -> canonical string ("149900"). */
  normalize: (value: string | number) => canonical(typeof value === 'number' ? numberToString(value) : value),
};

/**
 * What `fromUnits(toUnits(value))` gives, by string work alone (every amount of every order list
 * passes here: the BigInt round trip was ~4% of the orders subgraph's CPU): no leading zeros, no
 * trailing zeros after the point, no "-0".
 */
function canonical(value: string): string {
  const [, sign, digits, decimals = ''] = partsOf(value);
  const whole = digits.replace(/^0+(?=\d)/, '');
  const fraction = decimals.replace(/0+$/, '');
  const zero = whole === '0' && fraction === '';
  return `${sign && !zero ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** DECIMAL's match of `value`: [text, sign, whole digits, fraction digits]; throws when it is not one. */
function partsOf(value: string): RegExpExecArray {
  const parts = DECIMAL.exec(value);
  if (!parts) throw new Error(`not a decimal: ${value}`);
  return parts;
}

function numberToString(value: number): string {
  if (!Number.isFinite(value)) throw new Error('not a finite number');
  // toFixed avoids exponent notation; the regex check then rejects anything beyond 4 places.
  const text = value.toFixed(DECIMAL_SCALE).replace(/\.?0+$/, '');
  if (Number(text) !== value) throw new Error('more than 4 decimal places');
  return text;
}

function parseDecimal(value: unknown): string {
  try {
    if (typeof value === 'number') return decimal.normalize(value);
    if (typeof value === 'string' && DECIMAL.test(value.trim())) return decimal.normalize(value.trim());
  } catch {
    /* reported below */
  }
  throw new GraphQLError('Decimal must be a number (or numeric string) with at most 14 digits before and 4 after the point', {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/**
 * Exact decimal, serialised as a JSON number as seed 003 shows (`"price": 299000`); resolvers
 * get and return canonical strings, so arithmetic stays exact.
 */
export const DecimalScalar = new GraphQLScalarType<string, number>({
  name: 'Decimal',
  description: 'Exact decimal (up to 4 places), serialised as a JSON number',
  serialize: (value) => Number(decimal.normalize(value as string | number)),
  parseValue: parseDecimal,
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || ast.kind === Kind.FLOAT || ast.kind === Kind.STRING)
      return parseDecimal(ast.kind === Kind.STRING ? ast.value : Number(ast.value));
    throw new GraphQLError('Decimal must be a number', { extensions: { code: 'BAD_USER_INPUT' } });
  },
});
