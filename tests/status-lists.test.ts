/**
 * The order and saga statuses are listed once in code (`@app/events`): the events, the orders
 * entities and their database checks use that list. The orders SDL's enums are the public
 * contract, written by hand: they must say the same, in the same order.
 */
import { readFileSync } from 'node:fs';
import { ORDER_STATUSES, SAGA_STATUSES } from '@app/events';
import { Kind, parse } from 'graphql';
import { describe, expect, it } from 'vitest';

const sdl = parse(readFileSync(new URL('../subgraphs/orders/schema.graphql', import.meta.url), 'utf8'));

function enumValues(name: string): string[] {
  for (const definition of sdl.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === name)
      return (definition.values ?? []).map((v) => v.name.value);
  }
  throw new Error(`enum ${name} is not in the orders SDL`);
}

describe('status lists', () => {
  it('the orders SDL enums list the statuses of @app/events', () => {
    expect(enumValues('OrderStatus')).toEqual([...ORDER_STATUSES]);
    expect(enumValues('SagaStatus')).toEqual([...SAGA_STATUSES]);
  });
});
