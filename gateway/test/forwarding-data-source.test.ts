import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ForwardingDataSource } from '../src/forwarding-data-source.js';
import { SubgraphClient } from '../src/subgraph-client.js';

/** A subgraph over HTTP on 127.0.0.1: records what it was sent, answers `_entities` per representation. */
async function subgraph(answer: (representation: { id: string }, index: number) => { entity: unknown; error?: string }) {
  const sent: { representations?: { id: string }[] }[] = [];
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw);
    sent.push(body.variables ?? {});
    const representations = (body.variables?.representations ?? []) as { id: string }[];
    const answers = representations.map((r, i) => answer(r, i));
    const errors = answers.flatMap((a, i) => (a.error ? [{ message: a.error, path: ['_entities', i, 'name'] }] : []));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ data: { _entities: answers.map((a) => a.entity) }, ...(errors.length ? { errors } : {}) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new SubgraphClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, { timeoutMs: 5_000 });
  servers.push(server, client);
  return { sent, source: new ForwardingDataSource({ url: client.url, client }) };
}

const servers: { close(): unknown }[] = [];
afterAll(() => servers.forEach((s) => s.close()));

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
    const { sent, source } = await subgraph((r) => ({ entity: { __typename: 'Product', name: `name of ${r.id}` } }));
    const response = await fetchEntities(source, ['a', 'b', 'a', 'c', 'b', 'a']);
    expect(sent[0].representations!.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    const entities = (response.data as { _entities: { name: string }[] })._entities;
    expect(entities.map((e) => e.name)).toEqual(['name of a', 'name of b', 'name of a', 'name of c', 'name of b', 'name of a']);
    // Separate objects: the gateway merges later fetches into each in place.
    expect(entities[0]).not.toBe(entities[2]);
  });

  it('spreads an entity error over every position of that entity', async () => {
    const { source } = await subgraph((r) =>
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
    const { sent, source } = await subgraph((r) => ({ entity: { __typename: 'Product', name: r.id } }));
    await fetchEntities(source, ['x', 'y']);
    expect(sent[0].representations!.map((r) => r.id)).toEqual(['x', 'y']);
  });
});
