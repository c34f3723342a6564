import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { formatGraphQLError, handleGraphQL, type Logger, ServiceUnavailableError } from '@app/platform';
import Fastify from 'fastify';
import { type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../src/context.js';
import { MemoryQuotaStore } from '../src/limits/memory-quota-store.js';
import type { QuotaStore } from '../src/limits/quota-store.js';
import { QUOTA_FIELDS, rootFieldsOf, seed004Policies, seed004QuotaPlugin } from '../src/limits/seed004-quotas.js';

const typeDefs = /* GraphQL */ `
  type Query {
    me: String
    aggregateSignals(windowDays: Int): String
    relationshipMap(id: ID!): String
    observationTextTemplates: String
    quotaSeen: Int
  }
  type Mutation {
    generateMap(seed: String): String
    deleteAllData: Boolean
  }
`;

const limits = { RATE_LIMIT_SIGNALS_PER_HOUR: 3, RATE_LIMIT_MAP_GENERATE_PER_DAY: 5, RATE_LIMIT_MAP_OTHER_PER_DAY: 100 };

function server(store: QuotaStore = new MemoryQuotaStore(), policyLimits = limits) {
  const calls: string[] = [];
  const resolve = (name: string) => () => (calls.push(name), name);
  const apollo = new ApolloServer<GatewayContext>({
    typeDefs,
    resolvers: {
      Query: {
        me: resolve('me'),
        aggregateSignals: resolve('aggregateSignals'),
        relationshipMap: resolve('relationshipMap'),
        observationTextTemplates: resolve('observationTextTemplates'),
        quotaSeen: (_: unknown, __: unknown, ctx: GatewayContext) => ctx.quota?.remaining ?? null,
      },
      Mutation: { generateMap: resolve('generateMap'), deleteAllData: () => (calls.push('deleteAllData'), true) },
    },
    formatError: formatGraphQLError,
    plugins: [seed004QuotaPlugin(store, seed004Policies(policyLimits))],
  });
  return { apollo, calls };
}

const context = (userId?: string): GatewayContext => ({
  ...(userId ? { auth: { userId } as GatewayContext['auth'] } : {}),
  requestId: 'test',
  logger: console as unknown as Logger,
});

async function run(apollo: ApolloServer<GatewayContext>, query: string, userId?: string, variables?: Record<string, unknown>) {
  const response = await apollo.executeOperation({ query, variables }, { contextValue: context(userId) });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  const h = response.http.headers;
  return {
    ...response.body.singleResult,
    status: response.http.status,
    limit: h.get('x-ratelimit-limit'),
    remaining: h.get('x-ratelimit-remaining'),
    reset: h.get('x-ratelimit-reset'),
    retryAfter: h.get('retry-after'),
  };
}

function operation(source: string) {
  const document = parse(source);
  return { document, operation: document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode };
}

describe('rootFieldsOf', () => {
  const fields = (source: string, variables?: Record<string, unknown>) => {
    const { document, operation: op } = operation(source);
    return [...rootFieldsOf(op, document, variables).entries()];
  };

  it('finds fields through aliases, fragment spreads and inline fragments at the root', () => {
    expect(
      fields(`
        query { a: aggregateSignals ...F ... on Query { c: aggregateSignals ... { d: relationshipMap(id: "1") } } }
        fragment F on Query { b: aggregateSignals ...G }
        fragment G on Query { observationTextTemplates }
      `),
    ).toEqual([
      ['a', 'aggregateSignals'],
      ['b', 'aggregateSignals'],
      ['observationTextTemplates', 'observationTextTemplates'],
      ['c', 'aggregateSignals'],
      ['d', 'relationshipMap'],
    ]);
  });

  it('counts one per response key, as GraphQL executes them', () => {
    // The same field under one key is merged into one execution, however often it is spread.
    expect(fields('query { aggregateSignals aggregateSignals ...F ...F } fragment F on Query { aggregateSignals }')).toEqual([
      ['aggregateSignals', 'aggregateSignals'],
    ]);
  });

  it('honours @skip/@include, literal or from variables (with defaults); unknown conditions count', () => {
    const source = `query($yes: Boolean!, $no: Boolean = false) {
      a: aggregateSignals @skip(if: true)
      b: aggregateSignals @include(if: false)
      c: aggregateSignals @include(if: $yes)
      d: aggregateSignals @include(if: $no)
      ... @skip(if: $yes) { e: aggregateSignals }
    }`;
    expect(fields(source, { yes: true }).map(([key]) => key)).toEqual(['c']);
    expect(fields(source, { yes: false, no: true }).map(([key]) => key)).toEqual(['d', 'e']);
    expect(fields(source, { yes: 'true' }).map(([key]) => key)).toEqual(['c', 'e']);
  });

  it('leaves introspection out', () => {
    expect(fields('{ __typename __schema { types { name } } me }')).toEqual([['me', 'me']]);
  });

  it('maps every seed 004 root field, and not `me`', () => {
    expect(QUOTA_FIELDS).toMatchObject({
      aggregateSignals: 'signals',
      generateMap: 'generate',
      relationshipMap: 'other',
      deleteMe: 'other',
      initializeUser: 'other',
    });
    expect(Object.hasOwn(QUOTA_FIELDS, 'me')).toBe(false);
  });
});

describe('seed004QuotaPlugin', () => {
  it('counts each root field occurrence against its policy and reports it in X-RateLimit-*', async () => {
    const { apollo } = server();
    const user = randomUUID();
    const first = await run(apollo, '{ a: aggregateSignals b: aggregateSignals }', user);
    expect(first.errors).toBeUndefined();
    expect(first).toMatchObject({ limit: '3', remaining: '1' });
    expect(Number(first.reset)).toBeGreaterThan(Date.now() / 1000);
    const second = await run(apollo, 'query { ...F } fragment F on Query { aggregateSignals }', user);
    expect(second).toMatchObject({ limit: '3', remaining: '0' });
  });

  it('refuses past the limit with RATE_LIMIT_EXCEEDED, retryAfter and HTTP 429, before anything runs', async () => {
    const { apollo, calls } = server();
    const user = randomUUID();
    await run(apollo, '{ a: aggregateSignals b: aggregateSignals c: aggregateSignals }', user);
    calls.length = 0;
    const refused = await run(apollo, '{ ... on Query { aggregateSignals } me }', user);
    expect(refused.data).toBeUndefined();
    expect(calls).toEqual([]);
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0].message).toBe('Rate limit exceeded: 3 requests per hour for aggregateSignals');
    const extensions = refused.errors?.[0].extensions as { code: string; retryAfter: number; http?: unknown };
    expect(extensions.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(extensions.retryAfter).toBeGreaterThanOrEqual(1);
    expect(extensions.http).toBeUndefined();
    expect(refused).toMatchObject({ limit: '3', remaining: '0', retryAfter: String(extensions.retryAfter) });
  });

  it('uses one counter for every other seed 004 operation', async () => {
    const { apollo } = server(new MemoryQuotaStore(), { ...limits, RATE_LIMIT_MAP_OTHER_PER_DAY: 2 });
    const user = randomUUID();
    expect((await run(apollo, '{ relationshipMap(id: "1") }', user)).remaining).toBe('1');
    expect((await run(apollo, 'mutation { deleteAllData }', user)).remaining).toBe('0');
    const refused = await run(apollo, '{ observationTextTemplates }', user);
    expect(refused.errors?.[0].extensions?.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(refused.errors?.[0].message).toBe('Rate limit exceeded: 2 requests per day for observationTextTemplates');
    // Other policies and other users are not affected.
    expect((await run(apollo, 'mutation { generateMap }', user)).remaining).toBe('4');
    expect((await run(apollo, '{ relationshipMap(id: "1") }', randomUUID())).remaining).toBe('1');
  });

  it('does not count anonymous calls, `me`, or introspection', async () => {
    let consumed = 0;
    const store: QuotaStore = {
      consume: async (p, u, n) => ((consumed += n ?? 1), new MemoryQuotaStore().consume(p, u, n)),
      refund: async () => undefined,
    };
    const { apollo } = server(store);
    const anonymous = await run(apollo, '{ aggregateSignals relationshipMap(id: "1") }');
    expect(anonymous.limit).toBeUndefined();
    await run(apollo, '{ me __typename __schema { queryType { name } } }', randomUUID());
    expect(consumed).toBe(0);
  });

  it('reports the tightest policy the operation touched, also to resolvers as contextValue.quota', async () => {
    const { apollo } = server();
    const result = await run(apollo, '{ aggregateSignals relationshipMap(id: "1") quotaSeen }', randomUUID());
    expect(result).toMatchObject({ limit: '3', remaining: '2', data: { quotaSeen: 2 } });
  });

  it('refunds the points a refused operation took from another policy', async () => {
    const { apollo } = server(new MemoryQuotaStore(), { ...limits, RATE_LIMIT_MAP_OTHER_PER_DAY: 4 });
    const user = randomUUID();
    await run(
      apollo,
      '{ a: relationshipMap(id: "1") b: relationshipMap(id: "2") c: observationTextTemplates d: relationshipMap(id: "3") }',
      user,
    );
    // Signals (3 points, the fewest) is charged first, then `other` (4) refuses: signals gets its point back.
    const refused = await run(apollo, '{ aggregateSignals relationshipMap(id: "1") }', user);
    expect(refused.errors?.[0].extensions?.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(refused).toMatchObject({ limit: '4', remaining: '0' });
    expect((await run(apollo, '{ aggregateSignals }', user)).remaining).toBe('2');
  });

  it('fails closed: SERVICE_UNAVAILABLE (503) when the quota store is down', async () => {
    const store: QuotaStore = {
      consume: async () => {
        throw new ServiceUnavailableError('Rate limit could not be checked; try again later');
      },
      refund: async () => undefined,
    };
    const { apollo, calls } = server(store);
    const result = await run(apollo, 'mutation { generateMap }', randomUUID());
    expect(calls).toEqual([]);
    expect(result.status).toBe(503);
    expect(result.errors?.[0]).toMatchObject({
      message: 'Rate limit could not be checked; try again later',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    // Operations outside seed 004 do not depend on the quota store.
    expect((await run(apollo, '{ me }', randomUUID())).errors).toBeUndefined();
  });

  it('executeOperation callers (the REST facade) read the decision from response.http: their contextValue is cloned', async () => {
    const { apollo } = server();
    const contextValue = context(randomUUID());
    const response = await apollo.executeOperation({ query: '{ aggregateSignals }' }, { contextValue });
    expect(contextValue.quota).toBeUndefined();
    expect(response.http.headers.get('x-ratelimit-remaining')).toBe('2');
  });

  it('over HTTP, its X-RateLimit-* win over the general limit the guard set before', async () => {
    const { apollo } = server();
    await apollo.start();
    const app = Fastify();
    const user = randomUUID();
    app.post('/graphql', async (request, reply) => {
      // What server.ts's guard does with the general per-minute limit.
      reply.header('x-ratelimit-limit', 600).header('x-ratelimit-remaining', 599).header('x-ratelimit-reset', 1);
      return handleGraphQL(apollo, request, reply, async () => context(user));
    });
    try {
      const post = (query: string) =>
        app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: { query } });
      const ok = await post('{ aggregateSignals }');
      expect(ok.statusCode).toBe(200);
      expect(ok.headers).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '2' });
      expect(Number(ok.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
      const general = await post('{ me }');
      expect(general.headers).toMatchObject({ 'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '599' });
      await post('{ a: aggregateSignals b: aggregateSignals }');
      const refused = await post('{ aggregateSignals }');
      expect(refused.statusCode).toBe(429);
      expect(refused.headers).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.json().errors[0].extensions).toMatchObject({
        code: 'RATE_LIMIT_EXCEEDED',
        retryAfter: Number(refused.headers['retry-after']),
      });
    } finally {
      await app.close();
      await apollo.stop();
    }
  });
});
