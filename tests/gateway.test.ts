/**
 * The gateway's protections (SPEC "Gateway": depth, aliases, complexity, tokens, batch size,
 * CSRF, production mode, error masking, APQ, request ids, rate limiting), through HTTP only.
 * Every GraphQL error seen anywhere in this file is collected and checked at the end against
 * the documented error codes, and for leaked internals.
 */
import { createHash, randomBytes } from 'node:crypto';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { platformEnv, registerAndLogin, type TestUser, unique } from './support/client.js';
import { freePort } from './support/ports.js';

// ---------------------------------------------------------------------------------------------
// Helpers

type GraphQLError = { message: string; path?: (string | number)[]; locations?: unknown; extensions?: Record<string, any> };

interface Response {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** Every GraphQL error any request of this file received (checked by the last test). */
const seenErrors: { request: string; error: GraphQLError }[] = [];

function record(label: string, body: unknown) {
  const bodies = Array.isArray(body) ? body : [body];
  for (const b of bodies) {
    const errors = (b as { errors?: GraphQLError[] } | null)?.errors;
    if (Array.isArray(errors)) for (const error of errors) seenErrors.push({ request: label, error });
  }
}

/** A raw HTTP call that records any GraphQL errors in its JSON answer. */
async function call(url: string, init: RequestInit = {}, label = `${init.method ?? 'GET'} ${url}`): Promise<Response> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
    record(label, body);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };

/** POSTs a GraphQL request body (one operation or a batch) as JSON. */
function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  const label =
    typeof payload === 'object' && payload && 'query' in payload ? String((payload as { query: unknown }).query).slice(0, 120) : 'POST';
  return call(url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(payload) }, label);
}

const query = (url: string, q: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) =>
  post(url, { query: q, variables }, headers);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const codesOf = (res: Response): string[] =>
  ((res.body as { errors?: GraphQLError[] })?.errors ?? []).map((e) => String(e.extensions?.code));
const messagesOf = (res: Response): string => ((res.body as { errors?: GraphQLError[] })?.errors ?? []).map((e) => e.message).join('\n');

/** An extra gateway over the shared platform's subgraphs, with settings of its own. */
async function extraGateway(overrides: Record<string, string>): Promise<{ gateway: GatewayService; url: string; base: string }> {
  const config = loadGatewayConfig({ ...platformEnv(), ...overrides });
  const gateway = await buildGateway({ config });
  const port = await gateway.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  return { gateway, url: `${base}/graphql`, base };
}

/** `ofType { ofType { ... name } }`, n levels deep: introspection gives a genuinely deep selection. */
const ofType = (n: number): string => (n === 0 ? 'name' : `ofType { ${ofType(n - 1)} }`);
/** Depth = 3 (__type, fields, type) + levels of ofType + 1 (name). */
const introspectionOfDepth = (depth: number) => `{ __type(name: "User") { fields { type { ${ofType(depth - 4)} } } } }`;
/** Depth built with inline fragments (graphql-armor counts each as a level): me=1, fragments, id. */
const fragmentsOfDepth = (depth: number) => `{ me { ${'... on User { '.repeat(depth - 2)}id${' }'.repeat(depth - 2)} } }`;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** GraphQL's own codes that Apollo produces, plus the platform's (SPEC "Error model"). */
const DOCUMENTED_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'VALIDATION_ERROR',
  'CONFLICT',
  'RATE_LIMIT_EXCEEDED',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

// ---------------------------------------------------------------------------------------------

let url: string;
let user: TestUser;

beforeAll(async () => {
  url = inject('gatewayUrl');
  user = await registerAndLogin('gw');
});

describe('query limits', () => {
  it('refuses a query of depth 11 with GRAPHQL_VALIDATION_FAILED (introspection chain)', async () => {
    const res = await query(url, introspectionOfDepth(11));
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(codesOf(res)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(messagesOf(res)).toMatch(/depth/i);
  });

  it('refuses a depth of 11 built from nested fragments', async () => {
    const res = await query(url, fragmentsOfDepth(11), undefined, bearer(user.accessToken));
    expect(res.status).not.toBe(500);
    expect(codesOf(res)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(messagesOf(res)).toMatch(/depth/i);
  });

  it('runs a query of depth 10', async () => {
    const deep = await query(url, introspectionOfDepth(10));
    expect(deep.status).toBe(200);
    expect(deep.body.errors).toBeUndefined();
    expect(deep.body.data.__type.fields.length).toBeGreaterThan(0);

    const fragments = await query(url, fragmentsOfDepth(10), undefined, bearer(user.accessToken));
    expect(fragments.status).toBe(200);
    expect(fragments.body).toEqual({ data: { me: { id: user.id } } });
  });

  it('refuses a federated query of depth 11 across orders, catalog and users', async () => {
    // userOrders(1) items(2) product(3) category(4) products(5) category(6) products(7) category(8) products(9) name(10)
    const chain = (levels: number) => {
      const fields = Array.from({ length: levels }, (_, i) => (i % 2 === 0 ? 'category' : 'products'));
      const inner = fields.reduceRight((acc, field) => `${field} { ${acc} }`, 'name');
      return `query($u: ID!) { userOrders(userId: $u, limit: 1) { items { product { ${inner} } } user { username } } }`;
    };
    const over = await query(url, chain(7), { u: user.id }, bearer(user.accessToken));
    expect(over.status).toBe(400);
    expect(codesOf(over)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(messagesOf(over)).toMatch(/depth/i);
    // One level less passes the depth rule (its nested unbounded lists then exceed the complexity limit).
    const ten = await query(url, chain(6), { u: user.id }, bearer(user.accessToken));
    expect(messagesOf(ten)).not.toMatch(/depth/i);
    expect(messagesOf(ten)).toMatch(/complex/i);
  });

  it('refuses an over-complex federated query: 100 products x their category x its 100 products', async () => {
    const res = await query(url, `{ products(limit: 100) { id category { id products { id name category { name } } } } }`);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(codesOf(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(messagesOf(res)).toMatch(/complex/i);
  });

  it('refuses more aliases than MAX_ALIASES (30), allows 30', async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const over = await query(url, aliased(31), undefined, bearer(user.accessToken));
    expect(over.status).toBe(400);
    expect(codesOf(over)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(messagesOf(over)).toMatch(/alias/i);

    const ok = await query(url, aliased(30), undefined, bearer(user.accessToken));
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.a29).toEqual({ id: user.id });
  });

  it('refuses an over-complex query before running it (default MAX_COMPLEXITY 1000)', async () => {
    // Lists without a limit count 10 each: categories x products x (category, products) = 1211.
    const res = await query(url, `{ categories { products { category { products { id } } } } }`);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(codesOf(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(messagesOf(res)).toMatch(/complex/i);
  });

  it('refuses a query over a lowered MAX_COMPLEXITY on an extra gateway, runs one under it', async () => {
    const extra = await extraGateway({ MAX_COMPLEXITY: '5' });
    try {
      // Objects cost 1 each, scalars nothing: me (1) + profile (1) = 2.
      const profile = `me { id username profile { firstName lastName displayName pictureUrl locale } }`;
      const two = await query(extra.url, `{ a: ${profile} b: ${profile} }`, undefined, bearer(user.accessToken));
      expect(two.status).toBe(200);
      expect(two.body.errors).toBeUndefined();
      expect(two.body.data.a.id).toBe(user.id);

      const three = await query(extra.url, `{ a: ${profile} b: ${profile} c: ${profile} }`, undefined, bearer(user.accessToken));
      expect(three.status).toBe(400);
      expect(three.body.data).toBeUndefined();
      expect(codesOf(three)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(messagesOf(three)).toMatch(/cost 6 exceeds the maximum of 5/);
    } finally {
      await extra.gateway.close();
    }
  });

  it('refuses a document over MAX_TOKENS with GRAPHQL_PARSE_FAILED, not a 500', async () => {
    const huge = `{ ${'__typename '.repeat(6000)}}`;
    const res = await query(url, huge);
    expect(res.status).toBe(400);
    expect(codesOf(res)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(messagesOf(res)).toMatch(/tokens/i);

    // Same answer under the legacy media type, but 200 (GraphQL-over-HTTP: request errors under application/json).
    const legacy = await query(url, huge, undefined, { accept: 'application/json' });
    expect(legacy.status).toBe(200);
    expect(codesOf(legacy)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it('runs a batch of up to MAX_BATCH_SIZE (5) operations and refuses a bigger one', async () => {
    const ops = (n: number) => Array.from({ length: n }, (_, i) => ({ query: `query Op${i} { __typename }` }));
    const five = await post(url, ops(5));
    expect(five.status).toBe(200);
    expect(Array.isArray(five.body)).toBe(true);
    expect(five.body).toHaveLength(5);
    for (const r of five.body) expect(r).toEqual({ data: { __typename: 'Query' } });

    const six = await post(url, ops(6));
    expect(six.status).toBe(400);
    expect(Array.isArray(six.body)).toBe(false);
    expect(six.body.data).toBeUndefined();
    expect(codesOf(six)).toEqual(['VALIDATION_ERROR']);
    expect(six.body.errors[0].extensions.validationErrors[0].field).toBe('body');
  });

  it('answers a malformed JSON body with a GraphQL-shaped 400, not a 500', async () => {
    for (const accept of ['application/graphql-response+json', 'application/json']) {
      const res = await call(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: '{"query": "{ __typename }"' },
        'malformed JSON',
      );
      expect(res.status, accept).toBe(400);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].extensions.code).toBe('VALIDATION_ERROR');
      expect(res.body.errors[0].extensions.requestId).toBe(res.headers.get('x-request-id'));
    }
  });
});

describe('CSRF prevention', () => {
  it('refuses a simple GET (no content-type, no preflight header) with 400', async () => {
    const res = await call(`${url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(codesOf(res)).toEqual(['BAD_REQUEST']);
    expect(messagesOf(res)).toMatch(/CSRF/);
  });

  it('refuses a POST whose content-type a browser form could send', async () => {
    const res = await call(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body?.data).toBeUndefined();
  });

  it('runs a GET with apollo-require-preflight and a POST with application/json', async () => {
    const get = await call(`${url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(get.body).toEqual({ data: { __typename: 'Query' } });

    const postRes = await query(url, '{ __typename }');
    expect(postRes.status).toBe(200);
    expect(postRes.body).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('development mode (the shared gateway)', () => {
  it('serves introspection', async () => {
    const res = await query(url, `{ __schema { queryType { name } mutationType { name } } }`);
    expect(res.status).toBe(200);
    expect(res.body.data.__schema).toEqual({ queryType: { name: 'Query' }, mutationType: { name: 'Mutation' } });
  });

  it('serves the full introspection query IDEs send (meta objects count once, not per list item)', async () => {
    const res = await query(
      url,
      getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.__schema.types.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['Query', 'Mutation', 'Subscription', 'Product']),
    );
    // Introspection's cycles stay refused (graphql-js's MaxIntrospectionDepthRule).
    const cyclic = await query(url, `{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`);
    expect(codesOf(cyclic)).toContain('GRAPHQL_VALIDATION_FAILED');
  });

  it('serves a landing page to a browser that works offline and leads to /graphiql', async () => {
    const res = await call(url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.text).toContain('url=/graphiql');
    expect(res.text).not.toMatch(/https?:\/\//);
  });
});

describe('production mode (an extra gateway with NODE_ENV=production)', () => {
  let prod: Awaited<ReturnType<typeof extraGateway>>;
  beforeAll(async () => {
    prod = await extraGateway({ NODE_ENV: 'production' });
  });
  afterAll(async () => {
    await prod?.gateway.close();
  });

  it('refuses introspection', async () => {
    const res = await query(prod.url, `{ __schema { types { name } } }`);
    expect(res.body.data).toBeUndefined();
    expect(codesOf(res)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(messagesOf(res)).toMatch(/introspection/i);

    const type = await query(prod.url, `{ __type(name: "User") { name fields { name } } }`);
    expect(type.body.data).toBeUndefined();
    expect(codesOf(type)).toContain('GRAPHQL_VALIDATION_FAILED');
  });

  it('gives no field suggestions in errors', async () => {
    const dev = await query(url, `{ mee { id } }`);
    expect(messagesOf(dev)).toMatch(/Did you mean/); // so the production check below means something

    for (const q of [`{ mee { id } }`, `{ me { usernam } }`, `mutation { registr(input: {}) { id } }`, `{ me { profile { locle } } }`]) {
      const res = await query(prod.url, q);
      expect(codesOf(res), q).toContain('GRAPHQL_VALIDATION_FAILED');
      expect(res.text, q).not.toMatch(/Did you mean/i);
    }
  });

  it('still answers normal operations', async () => {
    const res = await query(prod.url, `{ me { id profile { locale } } }`, undefined, bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { me: { id: user.id, profile: { locale: 'ja-JP' } } } });
  });

  it('shows no landing page to a browser', async () => {
    const res = await call(prod.url, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(res.text).not.toMatch(/<html|<!doctype|sandbox|embeddable/i);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('internal errors are masked', () => {
  it('a subgraph that cannot be reached yields a masked error with a request id, no details', async () => {
    const port = await freePort();
    const broken = await extraGateway({ SUBGRAPH_USERS_URL: `http://127.0.0.1:${port}/graphql` });
    try {
      const res = await query(broken.url, `{ me { id profile { locale } } }`, undefined, bearer(user.accessToken));
      // The users subgraph's part fails, so `me` (nullable) is null: nothing was served because of
      // an outage, so the status says so (503 with Retry-After), the body as GraphQL has it.
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.body.data).toEqual({ me: null });
      const errors: GraphQLError[] = res.body.errors;
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e.extensions?.code).toBe('SERVICE_UNAVAILABLE');
        expect(e.extensions?.requestId).toBe(res.headers.get('x-request-id'));
      }
      // Nothing of the failure's internals: no address, no port, no errno, no stack.
      expect(res.text).not.toContain(String(port));
      expect(res.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|fetch failed|at .*\.(js|ts):\d+/);
    } finally {
      await broken.gateway.close();
    }
  });
});

describe('automatic persisted queries', () => {
  it('unknown hash -> PERSISTED_QUERY_NOT_FOUND; register with query + hash; then the hash alone works', async () => {
    const name = unique('Apq');
    const text = `query ${name} { __typename me { id } }`;
    const persistedQuery = { version: 1, sha256Hash: sha256(text) };

    const miss = await post(url, { extensions: { persistedQuery } }, bearer(user.accessToken));
    expect(codesOf(miss)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(miss.body.data).toBeUndefined();

    const register = await post(url, { query: text, extensions: { persistedQuery } }, bearer(user.accessToken));
    expect(register.status).toBe(200);
    expect(register.body).toEqual({ data: { __typename: 'Query', me: { id: user.id } } });

    const hit = await post(url, { extensions: { persistedQuery } }, bearer(user.accessToken));
    expect(hit.status).toBe(200);
    expect(hit.body).toEqual({ data: { __typename: 'Query', me: { id: user.id } } });

    // The hash also works in a GET (how CDNs cache APQ), with the preflight header CSRF asks for.
    const search = new URLSearchParams({ extensions: JSON.stringify({ persistedQuery }) });
    const get = await call(`${url}?${search}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true', ...bearer(user.accessToken) },
    });
    expect(get.status).toBe(200);
    expect(get.body).toEqual({ data: { __typename: 'Query', me: { id: user.id } } });
  });

  it('refuses a query whose hash does not match', async () => {
    const res = await post(url, {
      query: '{ __typename }',
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256('something else') } },
    });
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    // Apollo raises this one with HTTP 400 but no code: it is the client's mistake.
    expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(res.text).not.toMatch(/sha256|stack/i);
  });
});

describe('request ids', () => {
  it('every response carries x-request-id, and GraphQL errors carry the same id', async () => {
    const ok = await query(url, '{ __typename }');
    expect(ok.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);

    const failed = await query(url, '{ nope }');
    const id = failed.headers.get('x-request-id');
    expect(id).toBeTruthy();
    expect(failed.body.errors[0].extensions.requestId).toBe(id);
    expect(id).not.toBe(ok.headers.get('x-request-id'));
  });

  it('echoes a well-formed incoming x-request-id and replaces a malformed one', async () => {
    const mine = `test-${randomBytes(8).toString('hex')}`;
    const echoed = await query(url, '{ nope }', undefined, { 'x-request-id': mine });
    expect(echoed.headers.get('x-request-id')).toBe(mine);
    expect(echoed.body.errors[0].extensions.requestId).toBe(mine);

    const bad = 'bad id <script>';
    const replaced = await query(url, '{ __typename }', undefined, { 'x-request-id': bad });
    expect(replaced.headers.get('x-request-id')).toBeTruthy();
    expect(replaced.headers.get('x-request-id')).not.toBe(bad);
  });
});

describe('rate limiting (an extra gateway: 3 anonymous requests per window)', () => {
  let limited: Awaited<ReturnType<typeof extraGateway>>;
  // Counters are per client address in the shared Redis, and every test comes from 127.0.0.1.
  // A client address of our own (X-Forwarded-For, honoured with TRUST_PROXY) and a window length
  // of our own (so the counter key differs from every other gateway's) keep this test's counter apart.
  const window = 5000 + Math.floor(Math.random() * 4000);
  const ip = `10.${randomBytes(3).join('.')}`;
  const from = { 'x-forwarded-for': ip };

  beforeAll(async () => {
    limited = await extraGateway({
      RATE_LIMIT_ANONYMOUS: '3',
      RATE_LIMIT_USER: '50',
      RATE_LIMIT_WINDOW: String(window),
      TRUST_PROXY: 'true',
    });
  });
  afterAll(async () => {
    await limited?.gateway.close();
  });

  it('sends X-RateLimit headers, counts down, then answers 429 RATE_LIMIT_EXCEEDED with retryAfter', async () => {
    const first = await query(limited.url, '{ __typename }', undefined, from);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('3');
    const reset = Number(first.headers.get('x-ratelimit-reset'));
    const nowSeconds = Date.now() / 1000;
    expect(reset).toBeGreaterThan(nowSeconds - 1);
    expect(reset).toBeLessThanOrEqual(nowSeconds + window + 1);
    // Read where the counter stands rather than assume it is fresh (it is, unless a window rolled over).
    let remaining = Number(first.headers.get('x-ratelimit-remaining'));
    expect(remaining).toBeGreaterThanOrEqual(0);
    expect(remaining).toBeLessThanOrEqual(2);
    const allowedAfterFirst = remaining;

    for (let i = 0; i < allowedAfterFirst; i++) {
      const next = await query(limited.url, '{ __typename }', undefined, from);
      expect(next.status).toBe(200);
      const now = Number(next.headers.get('x-ratelimit-remaining'));
      expect(now).toBe(remaining - 1);
      remaining = now;
    }
    expect(remaining).toBe(0);

    const refused = await query(limited.url, '{ __typename }', undefined, from);
    expect(refused.status).toBe(429);
    expect(refused.body.data).toBeUndefined();
    expect(codesOf(refused)).toEqual(['RATE_LIMIT_EXCEEDED']);
    const retryAfter = refused.body.errors[0].extensions.retryAfter;
    expect(typeof retryAfter).toBe('number');
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(window + 1);
    expect(Number(refused.headers.get('retry-after'))).toBe(retryAfter);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('x-ratelimit-limit')).toBe('3');
  });

  it('the 4th anonymous request of a fresh client address is refused', async () => {
    const fresh = { 'x-forwarded-for': `10.${randomBytes(3).join('.')}` };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await query(limited.url, '{ __typename }', undefined, fresh)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('a signed-in user is counted per user, not per address', async () => {
    // The address above is used up; the same address with a token gets the user's own limit.
    const res = await query(limited.url, '{ me { id } }', undefined, { ...from, ...bearer(user.accessToken) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { me: { id: user.id } } });
    expect(res.headers.get('x-ratelimit-limit')).toBe('50');
  });
});

describe('one document, many requests', () => {
  // The gateway keeps what it builds per document (the plan, the Operation that shapes answers):
  // each request must still be answered by its own variables and its own operation.
  const document = `
    query Mine($withName: Boolean = true, $hideEmail: Boolean!) { me { id username @include(if: $withName) ...Contact @skip(if: $hideEmail) } }
    query Short { me { id ...Contact } }
    fragment Contact on User { email }`;

  it('answers each run by its variables (and their defaults) and its operation name', async () => {
    const runs: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['Mine', { hideEmail: false }, { id: user.id, username: user.username, email: user.email }],
      ['Mine', { withName: false, hideEmail: true }, { id: user.id }],
      ['Short', {}, { id: user.id, email: user.email }],
      ['Mine', { hideEmail: true }, { id: user.id, username: user.username }],
      ['Mine', { withName: false, hideEmail: false }, { id: user.id, email: user.email }],
    ];
    for (const round of [1, 2])
      for (const [operationName, variables, me] of runs) {
        const res = await post(url, { query: document, operationName, variables }, bearer(user.accessToken));
        expect(res.body, `round ${round}: ${operationName} ${JSON.stringify(variables)}`).toEqual({ data: { me } });
      }
  });
});

describe('error hygiene across this file', () => {
  it('every error code seen is documented, and no error carries a stack trace or exception', () => {
    expect(seenErrors.length).toBeGreaterThan(10);
    const problems = seenErrors.filter(({ error }) => {
      const ext = error.extensions ?? {};
      return (
        !DOCUMENTED_CODES.has(String(ext.code)) ||
        'stacktrace' in ext ||
        'exception' in ext ||
        'serviceName' in ext ||
        typeof ext.timestamp !== 'string' ||
        /\n\s+at .+:\d+:\d+/.test(error.message)
      );
    });
    expect(problems, JSON.stringify(problems, null, 2)).toEqual([]);
  });
});
