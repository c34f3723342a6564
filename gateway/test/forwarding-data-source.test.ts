import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import { describe, expect, it } from 'vitest';
import { ForwardingDataSource } from '../src/forwarding-data-source.js';

/** A subgraph over HTTP (a fake fetcher): records what it was sent, answers `_entities` per representation. */
function subgraph(answer: (representation: { id: string }, index: number) => { entity: unknown; error?: string }) {
  const sent: { representations?: { id: string }[] }[] = [];
  const fetcher = async (_url: string, init?: { body?: unknown }) => {
    const body = JSON.parse(String(init?.body));
    sent.push(body.variables ?? {});
    const representations = (body.variables?.representations ?? []) as { id: string }[];
    const answers = representations.map((r, i) => answer(r, i));
    const errors = answers.flatMap((a, i) => (a.error ? [{ message: a.error, path: ['_entities', i, 'name'] }] : []));
    return new Response(JSON.stringify({ data: { _entities: answers.map((a) => a.entity) }, ...(errors.length ? { errors } : {}) }), {
      headers: { 'content-type': 'application/json' },
    });
  };
  return { sent, source: new ForwardingDataSource({ url: 'http://subgraph.test/graphql', fetcher: fetcher as never }) };
}

const fetchEntities = (source: ForwardingDataSource, ids: string[]) =>
  source.process({
    kind: GraphQLDataSourceRequestKind.LOADING_SCHEMA,
    request: {
      query: 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { name } } }',
      variables: { representations: ids.map((id) => ({ __typename: 'Product', id })) },
    },
    context: {},
  });

describe('ForwardingDataSource', () => {
  it('asks for each distinct entity once and answers every original position', async () => {
    const { sent, source } = subgraph((r) => ({ entity: { __typename: 'Product', name: `name of ${r.id}` } }));
    const response = await fetchEntities(source, ['a', 'b', 'a', 'c', 'b', 'a']);
    expect(sent[0].representations!.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    const entities = (response.data as { _entities: { name: string }[] })._entities;
    expect(entities.map((e) => e.name)).toEqual(['name of a', 'name of b', 'name of a', 'name of c', 'name of b', 'name of a']);
    // Separate objects: the gateway merges later fetches into each in place.
    expect(entities[0]).not.toBe(entities[2]);
  });

  it('spreads an entity error over every position of that entity', async () => {
    const { source } = subgraph((r) =>
      r.id === 'b' ? { entity: null, error: 'no b' } : { entity: { __typename: 'Product', name: r.id } },
    );
    const response = await fetchEntities(source, ['b', 'a', 'b']);
    expect((response.data as { _entities: unknown[] })._entities).toEqual([null, { __typename: 'Product', name: 'a' }, null]);
    expect(response.errors!.map((e) => e.path)).toEqual([
      ['_entities', 0, 'name'],
      ['_entities', 2, 'name'],
    ]);
  });

  it('sends representations that are all distinct unchanged', async () => {
    const { sent, source } = subgraph((r) => ({ entity: { __typename: 'Product', name: r.id } }));
    await fetchEntities(source, ['x', 'y']);
    expect(sent[0].representations!.map((r) => r.id)).toEqual(['x', 'y']);
  });
});
