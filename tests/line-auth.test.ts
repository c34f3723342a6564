/**
 * LINE Login in the auth subgraph (`lineLogin`) and its internal route for the LINE webhook
 * (`POST /internal/line/session`), against the local fake of LINE. The shared platform's auth
 * service knows no LINE channel, so this file builds its own auth replica configured for the fake
 * (same Postgres, Redis, NATS and signing keys) and calls its /graphql directly; the tokens it
 * issues are then used at the shared gateway, which must accept them like any other.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { type AuthService, buildAuthService, loadAuthConfig } from '@app/auth';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { eventually, gatewayUrl, LOGIN, platformEnv, registerAndLogin } from './support/client.js';
import { type FakeLine, startFakeLine } from './support/fake-line.js';
import { call, expectError, fetchJwks, openDatabase } from './support/tokens.js';

const CALLBACK = 'http://127.0.0.1:1/api/auth/line/callback';
const INTERNAL_KEY = randomBytes(32).toString('base64url');
const LINE_LOGIN = `mutation($input: LineLoginInput!) {
  lineLogin(input: $input) { accessToken refreshToken tokenType expiresIn user { id username email lineUserId } }
}`;
const ME = `{ me { id username lineUserId } }`;

const db = openDatabase();
let fake: FakeLine;
let auth: AuthService;
let authBase: string;

beforeAll(async () => {
  fake = await startFakeLine();
  const env: Record<string, string> = {
    ...platformEnv(),
    LINE_LOGIN_CHANNEL_ID: fake.login.channelId,
    LINE_LOGIN_CHANNEL_SECRET: fake.login.channelSecret,
    LINE_LOGIN_CALLBACK_URL: CALLBACK,
    LINE_API_URL: fake.url,
    LINE_TIMEOUT_MS: '800',
    INTERNAL_API_KEY: INTERNAL_KEY,
  };
  auth = await buildAuthService({ config: loadAuthConfig(env), databaseUrl: env.DATABASE_URL });
  authBase = `http://127.0.0.1:${await auth.listen(0, '127.0.0.1')}`;
});
afterAll(async () => {
  await auth?.close();
  await fake?.close();
  await db.end();
});
beforeEach(() => fake.setMode('ok'));

// ---------- helpers ----------

const lineUser = (extra: { email?: string } = {}) => {
  const sub = `U${randomBytes(16).toString('hex')}`;
  fake.addUser({ sub, name: 'LINE 花子', picture: 'https://profile.line-scdn.net/abc', ...extra });
  return sub;
};

/** What the gateway's /api/auth/line/login makes up and keeps: a PKCE pair and a nonce. */
const loginSecrets = () => {
  const codeVerifier = randomBytes(48).toString('base64url'); // 64 characters
  return { codeVerifier, challenge: createHash('sha256').update(codeVerifier).digest('base64url'), nonce: randomBytes(16).toString('hex') };
};

/** The browser's trip to LINE's authorize endpoint, signing in as `sub`: the code LINE sends back to the callback. */
async function authorize(sub: string, secrets: ReturnType<typeof loginSecrets>, scope = 'openid profile') {
  fake.nextAuthorize({ sub });
  const state = randomBytes(12).toString('hex');
  const url = new URL('/oauth2/v2.1/authorize', fake.url);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: fake.login.channelId,
    redirect_uri: CALLBACK,
    state,
    scope,
    nonce: secrets.nonce,
    code_challenge: secrets.challenge,
    code_challenge_method: 'S256',
  }).toString();
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
  expect(back.searchParams.get('state')).toBe(state);
  return back.searchParams.get('code')!;
}

/** A code for `sub` and the input lineLogin needs with it. */
async function loginInput(sub: string, scope?: string) {
  const secrets = loginSecrets();
  const code = await authorize(sub, secrets, scope);
  return { code, codeVerifier: secrets.codeVerifier, nonce: secrets.nonce };
}

const lineLogin = (input: Record<string, unknown>) => call(LINE_LOGIN, { input }, { url: `${authBase}/graphql` });
const accounts = async (sub: string) =>
  (await db.query('select id, username, email, password_hash, last_login_at from auth.users where line_user_id = $1', [sub])).rows;

function ok(res: Awaited<ReturnType<typeof lineLogin>>) {
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data!.lineLogin;
}

/** A refusal with this code and reason, saying nothing secret. */
function expectRefusal(res: Awaited<ReturnType<typeof lineLogin>>, code: string, reason: string | undefined, secrets: string[] = []) {
  const error = expectError(res, code);
  if (reason) expect(error.extensions?.reason).toBe(reason);
  for (const secret of [fake.login.channelSecret, ...secrets]) expect(JSON.stringify(res.body)).not.toContain(secret);
  return error;
}

const postSession = (body: unknown, key: string | null = INTERNAL_KEY, base = authBase) =>
  fetch(`${base}/internal/line/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key !== null ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });

// ---------- lineLogin ----------

describe('lineLogin', () => {
  it('signs a new LINE user in: a new account (generated username, no email, no password) that the shared gateway knows as them', async () => {
    const sub = lineUser();
    const payload = ok(await lineLogin(await loginInput(sub)));
    expect(payload).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, refreshToken: expect.any(String) });
    expect(payload.user).toEqual({
      id: expect.any(String),
      username: expect.stringMatching(/^line_[0-9a-f]{10}$/),
      email: null,
      lineUserId: sub,
    });

    const rows = await accounts(sub);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: payload.user.id, email: null, password_hash: null });
    expect(rows[0].last_login_at).toBeInstanceOf(Date);

    // Keys live in the database, so a token of this replica verifies against the shared JWKS...
    const { JWT_ISSUER: issuer, JWT_AUDIENCE: audience } = loadAuthConfig(platformEnv());
    const { payload: claims } = await jwtVerify(payload.accessToken, createLocalJWKSet(await fetchJwks()), {
      issuer,
      audience,
      algorithms: ['ES256'],
    });
    expect(claims).toMatchObject({ sub: payload.user.id, scope: 'user', sid: expect.any(String) });
    // ...and the shared gateway takes it.
    const me = await call(ME, {}, { token: payload.accessToken });
    expect(me.body.data?.me).toEqual({ id: payload.user.id, username: payload.user.username, lineUserId: sub });
    // auth.user.registered (with a null email) reached the users service: it made the profile.
    await eventually(async () => (await db.query('select 1 from users.profiles where user_id = $1', [payload.user.id])).rowCount === 1);
  });

  it('the same LINE user again is the same account, in a new session', async () => {
    const sub = lineUser();
    const first = ok(await lineLogin(await loginInput(sub)));
    const second = ok(await lineLogin(await loginInput(sub)));
    expect(second.user.id).toBe(first.user.id);
    expect(decodeJwt(second.accessToken).sid).not.toBe(decodeJwt(first.accessToken).sid);
    expect(await accounts(sub)).toHaveLength(1);
  });

  it("a new account takes the ID token's email unless another account has it", async () => {
    const fresh = `line_${randomBytes(6).toString('hex')}@example.com`;
    const withEmail = lineUser({ email: fresh.toUpperCase() });
    expect(ok(await lineLogin(await loginInput(withEmail, 'openid profile email'))).user.email).toBe(fresh);

    const owner = await registerAndLogin('mail');
    const clash = lineUser({ email: owner.email });
    const payload = ok(await lineLogin(await loginInput(clash, 'openid profile email')));
    expect(payload.user.email).toBeNull();
    expect(payload.user.id).not.toBe(owner.id);
  });

  it('an account created by LINE cannot sign in with a password', async () => {
    const email = `line_${randomBytes(6).toString('hex')}@example.com`;
    const sub = lineUser({ email });
    const { user } = ok(await lineLogin(await loginInput(sub, 'openid profile email')));
    for (const usernameOrEmail of [user.username, email]) {
      expectError(await call(LOGIN, { input: { usernameOrEmail, password: 'any-password-123' } }), 'UNAUTHENTICATED');
    }
  });

  it('concurrent first logins of one LINE user make one account', async () => {
    const sub = lineUser();
    const inputs = await Promise.all([1, 2, 3].map(() => loginInput(sub)));
    const results = await Promise.all(inputs.map(lineLogin));
    const ids = results.map((r) => ok(r).user.id);
    expect(new Set(ids).size).toBe(1);
    expect(await accounts(sub)).toHaveLength(1);
  });

  it('a code works once: used again it is refused and nothing changes', async () => {
    const sub = lineUser();
    const input = await loginInput(sub);
    const { user } = ok(await lineLogin(input));
    const error = expectRefusal(await lineLogin(input), 'UNAUTHENTICATED', 'LINE_CODE_REFUSED', [input.code, input.codeVerifier]);
    expect(error.message).toBe('LINE login failed: invalid_grant (invalid authorization code)');
    expect((await accounts(sub)).map((a) => a.id)).toEqual([user.id]);
  });

  const tamperings: [string, (sub: string) => void][] = [
    ['another channel (aud)', () => fake.tamperNextIdToken({ aud: '1999999999' })],
    ['another issuer', () => fake.tamperNextIdToken({ iss: 'https://evil.example.com' })],
    ['an expired one', () => fake.tamperNextIdToken({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ['a bad signature', () => fake.tamperNextIdToken({ signWith: randomBytes(16).toString('hex') })],
    ['another login (nonce)', () => fake.tamperNextIdToken({ nonce: 'someone-elses-nonce' })],
  ];
  it.each(tamperings)('an ID token of %s is refused (LINE_ID_TOKEN_INVALID) and no account is made', async (_name, tamper) => {
    const sub = lineUser();
    const input = await loginInput(sub);
    tamper(sub);
    expectRefusal(await lineLogin(input), 'UNAUTHENTICATED', 'LINE_ID_TOKEN_INVALID', [input.code, input.codeVerifier]);
    expect(await accounts(sub)).toEqual([]);
  });

  it("a nonce other than the authorize request's is refused (LINE_ID_TOKEN_INVALID)", async () => {
    const sub = lineUser();
    const input = await loginInput(sub);
    expectRefusal(await lineLogin({ ...input, nonce: 'not-the-nonce' }), 'UNAUTHENTICATED', 'LINE_ID_TOKEN_INVALID');
    expect(await accounts(sub)).toEqual([]);
  });

  it('a wrong PKCE verifier is refused by LINE (the code alone is worthless)', async () => {
    const sub = lineUser();
    const input = await loginInput(sub);
    const error = expectRefusal(
      await lineLogin({ ...input, codeVerifier: loginSecrets().codeVerifier }),
      'UNAUTHENTICATED',
      'LINE_CODE_REFUSED',
      [input.code],
    );
    expect(error.message).toBe('LINE login failed: invalid_grant (invalid code_verifier)');
    // A failed attempt used the code up: the right verifier cannot redeem it afterwards.
    expectRefusal(await lineLogin(input), 'UNAUTHENTICATED', 'LINE_CODE_REFUSED');
    expect(await accounts(sub)).toEqual([]);
  });

  it('no verifier is a validation error, and LINE is not even asked', async () => {
    const sub = lineUser();
    const input = await loginInput(sub);
    const before = fake.requests.length;
    const error = expectRefusal(await lineLogin({ ...input, codeVerifier: '' }), 'VALIDATION_ERROR', undefined);
    expect(error.extensions?.validationErrors).toEqual([{ field: 'codeVerifier', message: expect.any(String) }]);
    expect(fake.requests.slice(before)).toEqual([]);
    expect(await accounts(sub)).toEqual([]);
  });

  it.each(['down', 'slow'] as const)(
    'LINE %s: SERVICE_UNAVAILABLE (LINE_UNAVAILABLE) within the time limit, nothing written',
    async (mode) => {
      const sub = lineUser();
      const input = await loginInput(sub);
      fake.setMode(mode);
      const started = Date.now();
      expectRefusal(await lineLogin(input), 'SERVICE_UNAVAILABLE', 'LINE_UNAVAILABLE', [input.code, input.codeVerifier]);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await accounts(sub)).toEqual([]);
    },
  );

  it('through the shared gateway, whose auth service has no LINE channel: SERVICE_UNAVAILABLE (LINE_NOT_CONFIGURED)', async () => {
    const res = await call(
      LINE_LOGIN,
      { input: { code: 'abc', codeVerifier: loginSecrets().codeVerifier, nonce: 'n' } },
      { url: gatewayUrl() },
    );
    const error = expectError(res, 'SERVICE_UNAVAILABLE');
    expect(error.extensions?.reason).toBe('LINE_NOT_CONFIGURED');
    expect(error.message).toMatch(/LINE_LOGIN_CHANNEL_ID/);
  });
});

// ---------- POST /internal/line/session ----------

describe('POST /internal/line/session', () => {
  it("gives a 5-minute access token of the LINE user's account that the shared gateway accepts", async () => {
    const sub = lineUser();
    const { user } = ok(await lineLogin(await loginInput(sub)));
    const res = await postSession({ lineUserId: sub });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.json();
    expect(body).toEqual({ userId: user.id, accessToken: expect.any(String), expiresIn: 300 });
    const claims = decodeJwt(body.accessToken);
    expect(claims).toMatchObject({ sub: user.id, scope: 'user', amr: ['line-webhook'], sid: expect.any(String) });
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(300);
    const me = await call(ME, {}, { token: body.accessToken });
    expect(me.body.data?.me?.id).toBe(user.id);
  });

  it('a fresh session each time, and no refresh token or session record behind it', async () => {
    const sub = lineUser();
    ok(await lineLogin(await loginInput(sub)));
    const [a, b] = await Promise.all(
      [postSession({ lineUserId: sub }), postSession({ lineUserId: sub })].map(async (r) => (await r).json()),
    );
    expect(decodeJwt(a.accessToken).sid).not.toBe(decodeJwt(b.accessToken).sid);
    expect(a).not.toHaveProperty('refreshToken');
    const { rows } = await db.query('select count(*)::int as n from auth.refresh_tokens where family_id = $1', [
      decodeJwt(a.accessToken).sid,
    ]);
    expect(rows[0].n).toBe(0);
  });

  it.each([
    ['no key', null],
    ['a wrong key', randomBytes(32).toString('base64url')],
    ['the key with a suffix', `${INTERNAL_KEY}x`],
  ])('%s: 401 UNAUTHENTICATED, before the body is even read', async (_name, key) => {
    const res = await fetch(`${authBase}/internal/line/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: '{not json',
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.any(String), requestId: expect.any(String) });
  });

  it.each([
    ['no body', undefined],
    ['no lineUserId', {}],
    ['an id that is not a LINE user id', { lineUserId: 'U123' }],
    ['upper-case hex', { lineUserId: `U${randomBytes(16).toString('hex').toUpperCase()}` }],
    ['an account id instead', { lineUserId: crypto.randomUUID() }],
  ])('%s: 400 VALIDATION_ERROR', async (_name, body) => {
    const res = await postSession(body);
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('VALIDATION_ERROR');
  });

  it('a LINE user without an account: 404 NOT_FOUND', async () => {
    const res = await postSession({ lineUserId: `U${randomBytes(16).toString('hex')}` });
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('NOT_FOUND');
  });

  it('the shared gateway does not route it', async () => {
    const res = await postSession(
      { lineUserId: `U${randomBytes(16).toString('hex')}` },
      inject('env').INTERNAL_API_KEY ?? INTERNAL_KEY,
      new URL(gatewayUrl()).origin,
    );
    expect(res.status).toBe(404);
  });
});

describe('an auth replica without LINE or an internal key', () => {
  let bare: AuthService;
  let bareBase: string;
  beforeAll(async () => {
    const env: Record<string, string> = {
      ...platformEnv(),
      INTERNAL_API_KEY: '',
      LINE_LOGIN_CHANNEL_ID: '',
      LINE_LOGIN_CHANNEL_SECRET: '',
      LINE_LOGIN_CALLBACK_URL: '',
    };
    bare = await buildAuthService({ config: loadAuthConfig(env), databaseUrl: env.DATABASE_URL });
    bareBase = `http://127.0.0.1:${await bare.listen(0, '127.0.0.1')}`;
  });
  afterAll(() => bare?.close());

  it('answers the internal route 503, whatever key is sent', async () => {
    const res = await postSession({ lineUserId: `U${randomBytes(16).toString('hex')}` }, INTERNAL_KEY, bareBase);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('INTERNAL_API_KEY') });
  });

  it('answers lineLogin SERVICE_UNAVAILABLE (LINE_NOT_CONFIGURED)', async () => {
    const res = await call(
      LINE_LOGIN,
      { input: { code: 'abc', codeVerifier: loginSecrets().codeVerifier, nonce: 'n' } },
      { url: `${bareBase}/graphql` },
    );
    expect(expectError(res, 'SERVICE_UNAVAILABLE').extensions?.reason).toBe('LINE_NOT_CONFIGURED');
  });
});

// ---------- the fake itself, where the platform's code does not reach ----------

describe('the fake LINE', () => {
  it('refuses a token request without the verifier, as LINE does (400 invalid_grant)', async () => {
    const sub = lineUser();
    const { code } = await loginInput(sub);
    const res = await fetch(`${fake.url}/oauth2/v2.1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        client_id: fake.login.channelId,
        client_secret: fake.login.channelSecret,
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'invalid code_verifier' });
  });

  it('sends a user who presses Cancel back with error=access_denied and the state', async () => {
    fake.nextAuthorize({ deny: true });
    const url = new URL('/oauth2/v2.1/authorize', fake.url);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: fake.login.channelId,
      redirect_uri: CALLBACK,
      state: 'st4te',
      scope: 'openid profile',
    }).toString();
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'The resource owner denied the request.',
      state: 'st4te',
    });
  });

  it('accepts a reply once per reply token of its own events, with the channel access token only', async () => {
    const event = fake.events.text(lineUser(), 'hello') as { replyToken: string };
    const reply = (token: string, replyToken: string, messages: unknown[] = [{ type: 'text', text: 'hi' }]) =>
      fetch(`${fake.url}/v2/bot/message/reply`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ replyToken, messages }),
      });
    expect((await reply('wrong', event.replyToken)).status).toBe(401);
    expect((await reply(fake.messaging.channelAccessToken, event.replyToken, [])).status).toBe(400);
    expect((await reply(fake.messaging.channelAccessToken, event.replyToken)).status).toBe(200);
    const again = await reply(fake.messaging.channelAccessToken, event.replyToken);
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ message: 'Invalid reply token' });
    expect((await fake.waitForReplies(1)).map((r) => r.replyToken)).toContain(event.replyToken);
    expect(fake.sign('{"events":[]}')).toBe(createHmac('sha256', fake.messaging.channelSecret).update('{"events":[]}').digest('base64'));
  });
});
