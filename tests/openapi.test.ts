/**
 * The OpenAPI document of the REST facade (`/api/openapi.json`) against the endpoint lists the
 * seeds write down, not against the route table it is generated from (that comparison could
 * only ever agree with itself). SPEC's REST/BFF facade section: "every endpoint of seed 002
 * appendix A, under the same paths, and seed 004's endpoints under /api", seed 000's BFF route,
 * and seed 001's auth and profile calls as the BFF serves them.
 *
 * The list is literal data below (it must hold in a checkout without ../shared), one row per
 * endpoint, each citing the seed and place it comes from.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayBase, type RestResponse, rest } from './support/rest.js';

type Auth = 'required' | 'none' | 'signature';

interface SeedEndpoint {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path as the facade serves it, in OpenAPI form (`{id}` for the seeds' `:id`). */
  path: string;
  /** Where the row comes from. */
  seed: string;
  /** 必須 / 不要 / 署名 in seed 002; seed 004: every route but /health needs the JWT; seed 001/000: sent with the token. */
  auth: Auth;
  /** Success statuses the seed names for it (any one of them documented); none named: a 2xx. */
  status?: number[];
  /** Query parameters the seed names. */
  query?: string[];
  /**
   * Body fields the seed names. Seed 002 marks optional ones with `?` (the others are then
   * required); seeds 000, 001 and 004 show examples, which say nothing about optionality.
   */
  body?: { fields: string[]; marksOptional: boolean };
  /** What the seed says comes back: top-level fields of a JSON body, a redirect, no body, or text. */
  response?: string[] | 'json' | 'redirect' | 'empty' | 'text';
}

const SEED_002 = '002_8aa3de1f00a2bf23.txt, 付録 A: エンドポイント一覧（表）';
const SEED_004 = '004_16ee3083e6622875.txt, 2. エンドポイント (base URL …/api; status codes: 3.2)';
const SEED_001 = '001_ea1ebe586659c8e2.txt, sequence diagram (Auth Service / User API calls, served by the BFF under /api)';
const SEED_000 = '000_ec6f88ed3111c981.txt, BFF sequence diagram and 2. リクエスト変換';

const SEED_ENDPOINTS: SeedEndpoint[] = [
  // ---- seed 002, appendix A (the table, row by row) ----
  { method: 'GET', path: '/healthz', seed: SEED_002, auth: 'none', response: 'text' }, // `ok`
  { method: 'GET', path: '/api/me', seed: SEED_002, auth: 'required', response: ['provider', 'userId', 'name', 'picture'] },
  { method: 'GET', path: '/api/auth/line/login', seed: SEED_002, auth: 'none', status: [302], response: 'redirect' },
  {
    method: 'GET',
    path: '/api/auth/line/callback',
    seed: SEED_002,
    auth: 'none',
    status: [302],
    query: ['code', 'state'],
    response: 'redirect',
  },
  { method: 'GET', path: '/api/logout', seed: SEED_002, auth: 'required', status: [302], response: 'redirect' },
  {
    method: 'POST',
    path: '/api/workouts',
    seed: SEED_002,
    auth: 'required',
    body: { fields: ['startedAt', 'note?'], marksOptional: true },
    response: 'json',
  }, // `Workout`
  {
    method: 'PATCH',
    path: '/api/workouts/{id}',
    seed: SEED_002,
    auth: 'required',
    body: { fields: ['startedAt?', 'endedAt?', 'note?'], marksOptional: true },
    response: 'json',
  },
  {
    method: 'PATCH',
    path: '/api/workouts/{id}/end',
    seed: SEED_002,
    auth: 'required',
    body: { fields: ['endedAt?'], marksOptional: true },
    response: 'json',
  },
  { method: 'DELETE', path: '/api/workouts/{id}', seed: SEED_002, auth: 'required', status: [204], response: 'empty' },
  {
    method: 'GET',
    path: '/api/workouts',
    seed: SEED_002,
    auth: 'required',
    query: ['from', 'to', 'limit', 'offset'],
    response: ['items', 'total', 'limit', 'offset'],
  },
  { method: 'GET', path: '/api/workouts/{id}/detail', seed: SEED_002, auth: 'required', response: ['workout', 'sets'] },
  {
    method: 'POST',
    path: '/api/workouts/{workoutId}/sets',
    seed: SEED_002,
    auth: 'required',
    body: { fields: [], marksOptional: false },
    response: 'json',
  }, // WorkoutSetCreateInput -> WorkoutSet
  {
    method: 'PATCH',
    path: '/api/workout_sets/{setId}',
    seed: SEED_002,
    auth: 'required',
    body: { fields: [], marksOptional: false },
    response: 'json',
  }, // WorkoutSetUpdateInput -> WorkoutSet
  { method: 'DELETE', path: '/api/workout_sets/{setId}', seed: SEED_002, auth: 'required', status: [204], response: 'empty' },
  {
    method: 'GET',
    path: '/api/exercises',
    seed: SEED_002,
    auth: 'required',
    query: ['q', 'type', 'onlyMine', 'limit', 'offset'],
    response: ['items', 'total', 'limit', 'offset'],
  },
  { method: 'GET', path: '/api/exercises/{id}', seed: SEED_002, auth: 'required', response: 'json' }, // `Exercise`
  {
    method: 'POST',
    path: '/api/exercises',
    seed: SEED_002,
    auth: 'required',
    body: { fields: ['name', 'type', 'primaryMuscle?'], marksOptional: true },
    response: 'json',
  },
  {
    method: 'PATCH',
    path: '/api/exercises/{id}',
    seed: SEED_002,
    auth: 'required',
    body: { fields: ['name?', 'type?', 'primaryMuscle?', 'isActive?'], marksOptional: true },
    response: 'json',
  },
  { method: 'DELETE', path: '/api/exercises/{id}', seed: SEED_002, auth: 'required', status: [204], response: 'empty' },
  {
    method: 'GET',
    path: '/api/body_metrics',
    seed: SEED_002,
    auth: 'required',
    query: ['from', 'to', 'limit', 'offset'],
    response: ['items', 'total', 'limit', 'offset'],
  },
  {
    method: 'POST',
    path: '/api/body_metrics',
    seed: SEED_002,
    auth: 'required',
    body: { fields: ['measuredAt', 'weightKg', 'bodyFatPct?', 'note?'], marksOptional: true },
    response: 'json',
  },
  {
    method: 'PATCH',
    path: '/api/body_metrics/{id}',
    seed: SEED_002,
    auth: 'required',
    body: { fields: ['measuredAt?', 'weightKg?', 'bodyFatPct?', 'note?'], marksOptional: true },
    response: 'json',
  },
  { method: 'DELETE', path: '/api/body_metrics/{id}', seed: SEED_002, auth: 'required', status: [204], response: 'empty' },
  { method: 'POST', path: '/line/webhook', seed: SEED_002, auth: 'signature', status: [200, 204] }, // 200/204

  // ---- seed 004, section 2 (paths under its base URL /api) ----
  {
    method: 'GET',
    path: '/api/health',
    seed: `${SEED_004} 2.1`,
    auth: 'none',
    status: [200],
    response: ['status', 'timestamp', 'version'],
  },
  {
    method: 'POST',
    path: '/api/users/initialize',
    seed: `${SEED_004} 2.2`,
    auth: 'required',
    status: [201],
    body: { fields: ['facebookUserId', 'locale'], marksOptional: false },
    response: ['userId', 'createdAt', 'preferences'],
  }, // 3.2: 201 "ユーザー初期化成功"
  {
    method: 'GET',
    path: '/api/users/me',
    seed: `${SEED_004} 2.2`,
    auth: 'required',
    status: [200],
    response: ['userId', 'createdAt', 'lastLoginAt', 'facebookConnected', 'preferences'],
  },
  {
    method: 'PATCH',
    path: '/api/users/me/preferences',
    seed: `${SEED_004} 2.2`,
    auth: 'required',
    body: { fields: ['maxNodes', 'updateFrequency', 'displayMode'], marksOptional: false },
    response: ['userId', 'preferences', 'updatedAt'],
  },
  { method: 'DELETE', path: '/api/users/me', seed: `${SEED_004} 2.2`, auth: 'required', response: ['message', 'deletedAt'] },
  {
    method: 'POST',
    path: '/api/facebook/connect',
    seed: `${SEED_004} 2.3`,
    auth: 'required',
    body: { fields: ['accessToken'], marksOptional: false },
    response: ['connected', 'facebookUserId', 'connectedAt'],
  },
  {
    method: 'POST',
    path: '/api/facebook/disconnect',
    seed: `${SEED_004} 2.3`,
    auth: 'required',
    response: ['disconnected', 'disconnectedAt'],
  },
  {
    method: 'GET',
    path: '/api/facebook/aggregate-signals',
    seed: `${SEED_004} 2.3`,
    auth: 'required',
    status: [200],
    query: ['windowDays'],
    response: ['userId', 'windowDays', 'signals', 'collectedAt', 'validUntil'],
  },
  {
    method: 'POST',
    path: '/api/map/generate',
    seed: `${SEED_004} 2.4`,
    auth: 'required',
    body: { fields: ['nodes', 'preferences'], marksOptional: false },
    response: ['mapId', 'generatedAt', 'nodes', 'basis'],
  },
  { method: 'GET', path: '/api/map/observation-text', seed: `${SEED_004} 2.4`, auth: 'required', status: [200], response: ['templates'] },
  { method: 'DELETE', path: '/api/data/all', seed: `${SEED_004} 2.5`, auth: 'required', response: ['message', 'deletedAt'] },

  // ---- seed 001: the Auth Service's and User API's calls, behind the BFF ----
  {
    method: 'POST',
    path: '/api/auth/register',
    seed: `${SEED_001}: POST /register -> 201 Created`,
    auth: 'none',
    status: [201],
    body: { fields: ['username', 'email', 'password'], marksOptional: false },
  },
  // "ログイン (username, password)": what the user types; the body field is the contract's usernameOrEmail.
  {
    method: 'POST',
    path: '/api/auth/login',
    seed: `${SEED_001}: POST /login -> access_token, refresh_token`,
    auth: 'none',
    body: { fields: ['password'], marksOptional: false },
  },
  {
    method: 'POST',
    path: '/api/auth/logout',
    seed: `${SEED_001}: POST /logout (Authorization: Bearer) -> 200 OK`,
    auth: 'required',
    status: [200],
  },
  {
    method: 'GET',
    path: '/api/profile',
    seed: `${SEED_001}: GET /profile (Authorization: Bearer) -> profile data`,
    auth: 'required',
    response: 'json',
  },
  {
    method: 'PUT',
    path: '/api/profile',
    seed: `${SEED_001}: PUT /profile (Authorization: Bearer) -> updated profile; ${SEED_000}: BFF -> PUT /profile {firstName, lastName}`,
    auth: 'required',
    body: { fields: ['firstName', 'lastName'], marksOptional: false },
    response: 'json',
  },

  // ---- seed 000: the BFF route the front end calls with its cookie ----
  {
    method: 'POST',
    path: '/api/profile',
    seed: `${SEED_000}: POST /api/profile (Cookie: access_token) -> 200 OK {success: true, profile}`,
    auth: 'required',
    status: [200],
    body: { fields: ['firstName', 'lastName'], marksOptional: false },
    response: ['success', 'profile'],
  },
  // Not rows: seed 000's `GET /api/documents` is only the example of a backend answering 503 in
  // its error-handling flow (there is no documents resource anywhere in the seeds or SPEC), and
  // seed 001's GET /.well-known/jwks.json is the auth service's own endpoint, not the facade's.
];

/** Documented routes that no seed lists, each with where it is required. Nothing else may be documented. */
const BEYOND_THE_SEEDS: { method: SeedEndpoint['method']; path: string; why: string }[] = [
  {
    method: 'POST',
    path: '/api/auth/refresh',
    why: "README (BFF cookies): refresh-token rotation for the browser session, the contract's refreshToken mutation",
  },
  { method: 'GET', path: '/api/map/{mapId}.svg', why: 'SPEC, relationship map: "The map as a picture: GET /api/map/{mapId}.svg"' },
];

const key = (e: { method: string; path: string }) => `${e.method} ${e.path}`;
const seedPathToUrl = (path: string) => path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');

type Json = Record<string, any>;
let doc: Json;

/** A schema with `$ref`s into the document's components followed. */
const resolve = (schema: Json | undefined): Json | undefined => {
  if (!schema?.$ref) return schema;
  const [, , section, name] = String(schema.$ref).split('/');
  return resolve(doc.components?.[section]?.[name]);
};
/** Property names of a JSON schema, across allOf / anyOf / oneOf branches. */
function propertiesOf(schema: Json | undefined): Set<string> {
  const s = resolve(schema);
  const out = new Set<string>(Object.keys(s?.properties ?? {}));
  for (const branch of [...(s?.allOf ?? []), ...(s?.anyOf ?? []), ...(s?.oneOf ?? [])]) for (const p of propertiesOf(branch)) out.add(p);
  return out;
}
/** Properties every valid value must have (allOf branches add, anyOf/oneOf branches count when all require them). */
function requiredOf(schema: Json | undefined): Set<string> {
  const s = resolve(schema);
  const out = new Set<string>(s?.required ?? []);
  for (const branch of s?.allOf ?? []) for (const p of requiredOf(branch)) out.add(p);
  const alternatives = [...(s?.anyOf ?? []), ...(s?.oneOf ?? [])].map(requiredOf);
  if (alternatives.length) for (const p of alternatives[0]) if (alternatives.every((a) => a.has(p))) out.add(p);
  return out;
}

const operationOf = (e: { method: string; path: string }): Json | undefined => doc.paths?.[e.path]?.[e.method.toLowerCase()];
const successStatuses = (operation: Json) =>
  Object.keys(operation.responses ?? {})
    .map(Number)
    .filter((s) => s >= 200 && s < 400);

beforeAll(async () => {
  const res = await rest('GET', '/api/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
});

describe('OpenAPI document of the REST facade', () => {
  it('the seed list has no duplicates, and its additions are not seed rows', () => {
    const keys = SEED_ENDPOINTS.map(key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const extra of BEYOND_THE_SEEDS) expect(keys).not.toContain(key(extra));
  });

  it('is served at /api/openapi.json and is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every endpoint the seeds list, and nothing that is neither in the seeds nor named above', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as Json)
        .filter((m) => /^(get|put|post|patch|delete|head|options)$/.test(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    const missing = SEED_ENDPOINTS.filter((e) => !documented.includes(key(e))).map((e) => `${key(e)}  (${e.seed})`);
    expect(missing, `endpoints of the seeds missing from /api/openapi.json:\n${missing.join('\n')}`).toEqual([]);
    const expected = new Set([...SEED_ENDPOINTS.map(key), ...BEYOND_THE_SEEDS.map(key)]);
    expect(
      documented.filter((r) => !expected.has(r)),
      'documented routes that no seed lists (add them to BEYOND_THE_SEEDS with the reason)',
    ).toEqual([]);
    for (const extra of BEYOND_THE_SEEDS) expect(documented, extra.why).toContain(key(extra));
  });

  describe.each(SEED_ENDPOINTS.map((e) => ({ ...e, name: `${key(e)}` })))('$name', (endpoint) => {
    const operation = () => {
      const op = operationOf(endpoint);
      expect(op, `${key(endpoint)} (${endpoint.seed}) is not in /api/openapi.json`).toBeDefined();
      return op!;
    };

    it('is documented with the authentication the seed asks for', () => {
      const op = operation();
      if (endpoint.auth === 'required') {
        expect(op.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
        expect(op.responses).toHaveProperty('401');
      } else {
        // No token: an empty requirement (or none at all, the document having no global one).
        expect(op.security ?? [], `${key(endpoint)} needs no token`).toEqual([]);
        expect(doc.security ?? []).toEqual([]);
      }
      if (endpoint.auth === 'signature') {
        expect(op.parameters ?? []).toContainEqual(expect.objectContaining({ name: 'x-line-signature', in: 'header', required: true }));
        expect(op.responses).toHaveProperty('401');
      }
    });

    it('is documented with the success status and response the seed gives', () => {
      const op = operation();
      const success = successStatuses(op);
      if (endpoint.status) {
        expect(
          endpoint.status.some((s) => success.includes(s)),
          `${key(endpoint)}: the seed says ${endpoint.status.join('/')}, the document ${success.join(', ')}`,
        ).toBe(true);
      } else {
        expect(success.filter((s) => s < 300).length, `${key(endpoint)} documents a 2xx`).toBeGreaterThan(0);
      }
      const statuses = endpoint.status?.filter((s) => success.includes(s)) ?? success.filter((s) => s < 300);
      const responses = statuses.map((s) => op.responses[String(s)] as Json);
      const response = endpoint.response;
      if (response === 'empty') for (const r of responses) expect(r.content, `${key(endpoint)}: no body`).toBeUndefined();
      if (response === 'redirect') for (const r of responses) expect(r.content, `${key(endpoint)}: a redirect has no body`).toBeUndefined();
      if (response === 'text')
        expect(responses.some((r) => Object.keys(r.content ?? {}).some((t) => t.startsWith('text/plain')))).toBe(true);
      if (response === 'json' || Array.isArray(response)) {
        const json = responses.map((r) => r.content?.['application/json']?.schema).filter(Boolean);
        expect(json.length, `${key(endpoint)} documents a JSON body`).toBeGreaterThan(0);
        if (Array.isArray(response)) {
          // The seed's fields are in the documented body (of some documented success; the first when several).
          const props = propertiesOf(json[0]);
          expect(
            response.filter((f) => !props.has(f)),
            `${key(endpoint)}: fields of the seed's response not in the documented body`,
          ).toEqual([]);
        }
      }
    });

    it('is documented with the path, query and body parameters the seed names', () => {
      const op = operation();
      const parameters = (op.parameters ?? []) as Json[];
      for (const name of endpoint.path.match(/\{(\w+)\}/g)?.map((p) => p.slice(1, -1)) ?? []) {
        expect(parameters, `${key(endpoint)}: path parameter ${name}`).toContainEqual(
          expect.objectContaining({ name, in: 'path', required: true }),
        );
      }
      for (const name of endpoint.query ?? []) {
        expect(parameters, `${key(endpoint)}: query parameter ${name}`).toContainEqual(expect.objectContaining({ name, in: 'query' }));
      }
      if (!endpoint.body) return;
      const schema = op.requestBody?.content?.['application/json']?.schema;
      expect(schema, `${key(endpoint)} documents a JSON request body`).toBeDefined();
      const props = propertiesOf(schema);
      const required = requiredOf(schema);
      for (const field of endpoint.body.fields) {
        const name = field.replace(/\?$/, '');
        expect(props.has(name), `${key(endpoint)}: body field ${name} (seed: ${endpoint.body.fields.join(', ')})`).toBe(true);
        if (endpoint.body.marksOptional)
          expect(
            required.has(name),
            `${key(endpoint)}: body field ${name} is ${field.endsWith('?') ? 'optional' : 'required'} in the seed`,
          ).toBe(!field.endsWith('?'));
      }
    });
  });
});

describe('every endpoint of the seeds is served', () => {
  /**
   * What an anonymous request must get: 401 where the seed asks for a token (the facade answers
   * it before any work); for the rest, the one status that route gives a request with nothing in
   * it. The platform under test runs without LINE configured: SPEC says its LINE routes then
   * answer 503 with a clear message (their flows have their own tests, against a fake LINE).
   */
  const anonymous: Record<string, { status: number; code?: string; check?: (res: RestResponse) => void }> = {
    'GET /healthz': { status: 200, check: (res) => expect(res.text).toBe('ok') },
    'GET /api/health': { status: 200, check: (res) => expect(res.body).toMatchObject({ status: 'healthy' }) },
    'GET /api/auth/line/login': { status: 503, code: 'SERVICE_UNAVAILABLE', check: (res) => expect(res.body.message).toMatch(/LINE/) },
    'GET /api/auth/line/callback': { status: 503, code: 'SERVICE_UNAVAILABLE', check: (res) => expect(res.body.message).toMatch(/LINE/) },
    'POST /line/webhook': { status: 503, code: 'SERVICE_UNAVAILABLE', check: (res) => expect(res.body.message).toMatch(/LINE/) },
    'POST /api/auth/register': { status: 400, code: 'VALIDATION_ERROR' },
    'POST /api/auth/login': { status: 400, code: 'VALIDATION_ERROR' },
  };

  it('an unknown route gets the not-found handler (what the answers below must not be)', async () => {
    const res = await rest('GET', '/api/no-such-endpoint-of-any-seed');
    expect(res.status).toBe(404);
    expect(res.body.message).toMatch(/^No route/);
  });

  it.each(SEED_ENDPOINTS.map((e) => ({ ...e, name: key(e) })))('$name answers an anonymous request as the seed says', async (endpoint) => {
    const expected = endpoint.auth === 'required' ? { status: 401, code: 'UNAUTHENTICATED' } : anonymous[key(endpoint)];
    expect(expected, `no expected anonymous answer written for ${key(endpoint)}`).toBeDefined();
    const res = await rest(
      endpoint.method,
      seedPathToUrl(endpoint.path),
      endpoint.method === 'GET' || endpoint.method === 'DELETE' ? {} : { body: {} },
    );
    expect(res.status, `${key(endpoint)}: ${res.text.slice(0, 200)}`).toBe(expected!.status);
    if (expected!.code) expect(res.body?.code, res.text.slice(0, 200)).toBe(expected!.code);
    if (endpoint.auth === 'required') expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expected!.check?.(res);
    // ... and that answer is one the document gives for the route (the operator /healthz aside, if undocumented).
    const op = operationOf(endpoint);
    if (op)
      expect(Object.keys(op.responses), `${key(endpoint)} answered ${res.status}, which it does not document`).toContain(
        String(res.status),
      );
  });
});

describe('the docs page', () => {
  it('is served with its assets, without any outside host', async () => {
    const page = await rest('GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('/api/openapi.json');
    expect(page.text).not.toMatch(/https?:\/\//);
    const assets = page.text.match(/\/api\/docs\/assets\/[\w.-]+/g) ?? [];
    expect(assets.length, 'the page loads its assets from /api/docs/assets').toBeGreaterThan(0);
    for (const asset of assets) {
      const res = await fetch(`${gatewayBase()}${asset}`);
      expect(res.status, asset).toBe(200);
    }
  });
});
