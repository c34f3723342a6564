import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ForwardingDataSource } from '../src/forwarding-data-source.js';
import { PublicAnswerCache } from '../src/public-answer-cache.js';
import { SharedEntitySelection } from '../src/shared-entity-selection.js';
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
  const answers = new PublicAnswerCache(60_000);
  return {
    sent,
    answers,
    source: new ForwardingDataSource({ url: client.url, client }),
    kept: new ForwardingDataSource({ url: client.url, client, sharedReads: true, answers }),
  };
}

const servers: { close(): unknown }[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

const fetchEntities = (source: ForwardingDataSource, ids: string[]) =>
  source.process({
    kind: GraphQLDataSourceRequestKind.LOADING_SCHEMA,
    request: {
      query: 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { name } } }',
      variables: { representations: ids.map((id) => ({ __typename: 'Product', id })) },
    },
    context: {},
  });

/** An `_entities` fetch of Users selecting `fields`, as a signed-in caller (a token) or anonymously. */
const fetchUsers = (source: ForwardingDataSource, ids: string[], fields: string, signedIn: boolean) =>
  source.process({
    kind: GraphQLDataSourceRequestKind.LOADING_SCHEMA,
    request: {
      query: `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { ${fields} } } }`,
      variables: { representations: ids.map((id) => ({ __typename: 'User', id })) },
    },
    context: signedIn ? { auth: { userId: 'u1', roles: ['user'], token: 't' } } : {},
  } as never);

/** A data source over `subgraph` that keeps User entities selecting only username/createdAt for signed-in callers. */
function accountSource(client: SubgraphClient) {
  const answers = new PublicAnswerCache(60_000);
  const signedInShared = new SharedEntitySelection('User', new Set(['username', 'createdAt']));
  return { answers, source: new ForwardingDataSource({ url: client.url, client, signedInShared, signedInAnswers: answers }) };
}

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

  it("keeps a shared-read subgraph's entities one by one and asks only for the ones it does not have", async () => {
    const { sent, kept } = await subgraph((r) => ({ entity: { __typename: 'Product', name: `name of ${r.id}` } }));
    await fetchEntities(kept, ['a', 'b']);
    const response = await fetchEntities(kept, ['b', 'c', 'b', 'a']);
    expect(sent.map((s) => s.representations!.map((r) => r.id))).toEqual([['a', 'b'], ['c']]);
    const entities = (response.data as { _entities: { name: string }[] })._entities;
    expect(entities.map((e) => e.name)).toEqual(['name of b', 'name of c', 'name of b', 'name of a']);
    expect(entities[0]).not.toBe(entities[2]);
    // All kept: nothing sent.
    await fetchEntities(kept, ['c', 'a']);
    expect(sent).toHaveLength(2);
  });

  it('does not keep an entity that came with an error, nor what a read brought after a change', async () => {
    let version = 1;
    const { sent, kept, answers } = await subgraph((r) =>
      r.id === 'bad' ? { entity: null, error: 'no such product' } : { entity: { __typename: 'Product', name: `${r.id} v${version}` } },
    );
    const first = await fetchEntities(kept, ['bad', 'x']);
    expect(first.errors!.map((e) => e.path)).toEqual([['_entities', 0, 'name']]);
    await fetchEntities(kept, ['bad', 'x']);
    expect(sent.map((s) => s.representations!.map((r) => r.id))).toEqual([['bad', 'x'], ['bad']]);
    // A change: what was kept goes, and the next read brings the new version.
    version = 2;
    answers.clear();
    const after = await fetchEntities(kept, ['x']);
    expect((after.data as { _entities: { name: string }[] })._entities[0].name).toBe('x v2');
  });

  describe('entities every signed-in caller sees alike (auth accounts)', () => {
    const users = () =>
      subgraph((r) => ({
        entity: { __typename: 'User', username: `user ${r.id}`, createdAt: '2026-01-01T00:00:00.000Z', email: `${r.id}@example.com` },
      }));

    it('answers a signed-in caller from what it kept, and asks only for the rest', async () => {
      const { sent, source: plain } = await users();
      const { source } = accountSource(plain.client);
      await fetchUsers(source, ['a', 'b'], 'username', true);
      const response = await fetchUsers(source, ['b', 'c', 'a'], 'username createdAt', true);
      await fetchUsers(source, ['b', 'c', 'a'], 'username createdAt', true);
      // Each selection is its own entry: the second text asked once, then answered from memory.
      expect(sent.map((s) => s.representations!.map((r) => r.id))).toEqual([
        ['a', 'b'],
        ['b', 'c', 'a'],
      ]);
      expect((response.data as { _entities: { username: string }[] })._entities.map((e) => e.username)).toEqual([
        'user b',
        'user c',
        'user a',
      ]);
    });

    it('always sends an anonymous caller on (auth refuses it there), and never keeps a private field', async () => {
      const { sent, source: plain } = await users();
      const { source } = accountSource(plain.client);
      await fetchUsers(source, ['a'], 'username', false);
      await fetchUsers(source, ['a'], 'username', false);
      await fetchUsers(source, ['a'], 'username email', true);
      await fetchUsers(source, ['a'], 'username email', true);
      await fetchUsers(source, ['a'], 'name: username', true);
      await fetchUsers(source, ['a'], 'name: username', true);
      expect(sent).toHaveLength(6);
    });

    it('forgets everything when an account is erased (the cache is emptied)', async () => {
      const { sent, source: plain } = await users();
      const { source, answers } = accountSource(plain.client);
      await fetchUsers(source, ['a'], 'username', true);
      answers.clear();
      await fetchUsers(source, ['a'], 'username', true);
      expect(sent).toHaveLength(2);
    });
  });
});
