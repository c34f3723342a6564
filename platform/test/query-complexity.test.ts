import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkComplexity } from '../src/graphql/query-complexity.js';

const schema = buildSchema(`
  type Item { id: ID! name: String! children(limit: Int): [Item!]! }
  type Query { items(limit: Int, tag: String): [Item!]! item(id: ID!): Item }
`);

describe('checkComplexity, worked out once per document and the values its cost depends on', () => {
  const document = parse(
    'query Q($n: Int, $m: Int, $tag: String, $deep: Boolean!) { items(limit: $n, tag: $tag) { id children(limit: $m) @include(if: $deep) { id } } }',
  );
  const check = (variables: Record<string, unknown>) => checkComplexity(schema, document, 'Q', variables, 500)?.message;

  it('refuses and allows the same document by its page sizes, whatever the order of the checks', () => {
    expect(check({ n: 10, m: 10, tag: 'a', deep: true })).toBeUndefined(); // 1 + 10 x (1 + 10) = 111
    expect(check({ n: 100, m: 10, tag: 'a', deep: true })).toMatch(/cost 1101 exceeds the maximum of 500/);
    expect(check({ n: 10, m: 10, tag: 'b', deep: true })).toBeUndefined();
    expect(check({ n: 10, m: 100, tag: 'a', deep: true })).toMatch(/cost 1011 exceeds/);
  });

  it('follows @include conditions', () => {
    expect(check({ n: 100, m: 10, tag: 'a', deep: false })).toBeUndefined(); // 1 + 100 x 1
    expect(check({ n: 100, m: 10, tag: 'a', deep: true })).toMatch(/exceeds/);
  });

  it('gives the same answer for values its cost does not depend on (ids, filters)', () => {
    const byId = parse('query($id: ID!) { item(id: $id) { children(limit: 100) { children(limit: 100) { id } } } }');
    const results = ['a', 'b', 'c'].map((id) => checkComplexity(schema, byId, undefined, { id }, 500)?.message);
    expect(new Set(results).size).toBe(1);
    expect(results[0]).toMatch(/exceeds/);
  });

  it('keeps each limit apart: a lower maximum is checked on its own', () => {
    expect(check({ n: 10, m: 10, tag: 'a', deep: true })).toBeUndefined();
    expect(checkComplexity(schema, document, 'Q', { n: 10, m: 10, tag: 'a', deep: true }, 100)?.message).toMatch(
      /cost 111 exceeds the maximum of 100/,
    );
  });
});
