/**
 * LINE Login through the gateway (seed 002's sequence), against a local fake of LINE: the browser
 * is sent to LINE with state, nonce and PKCE, comes back to the callback, and ends signed in with
 * the BFF cookies as the LINE user. Every way the callback can be abused is refused and lands on
 * the front end with an error and no session. This file runs its own auth replica and gateway
 * configured for the fake, over the shared Postgres, Redis and NATS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type AuthService, buildAuthService, loadAuthConfig } from '@app/auth';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { RedisCache } from '@app/platform';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, gql, platformEnv } from './support/client.js';
import { type FakeLine, startFakeLine } from './support/fake-line.js';

const FRONTEND = 'http://127.0.0.1:5173/app';
const CALLBACK = 'http://127.0.0.1:4999/api/auth/line/callback';

let fake: FakeLine;
let auth: AuthService;
let gateway: GatewayService;
let base: string;
let db: pg.Pool;
let redis: RedisCache;

beforeAll(async () => {
  fake = await startFakeLine();
  const env: Record<string, string> = {
    ...platformEnv(),
    LINE_LOGIN_CHANNEL_ID: fake.login.channelId,
    LINE_LOGIN_CHANNEL_SECRET: fake.login.channelSecret,
    LINE_LOGIN_CALLBACK_URL: CALLBACK,
    LINE_AUTH_URL: fake.url,
    LINE_API_URL: fake.url,
    FRONTEND_URL: FRONTEND,
  };
  auth = await buildAuthService({ config: loadAuthConfig(env), databaseUrl: env.DATABASE_URL });
  const authPort = await auth.listen(0, '127.0.0.1');
  gateway = await buildGateway({ config: loadGatewayConfig({ ...env, SUBGRAPH_AUTH_URL: `http://127.0.0.1:${authPort}/graphql` }) });
  base = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
  db = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
  redis = RedisCache.connect(inject('env').REDIS_URL);
});
afterAll(async () => {
  await gateway?.close();
  await auth?.close();
  await fake?.close();
  await db?.end();
  await redis?.close();
});

const lineUser = () => {
  const sub = `U${randomBytes(16).toString('hex')}`;
  fake.addUser({ sub, name: 'LINE 太郎', picture: 'https://example.com/p.png' });
  return sub;
};
const get = (url: string, cookie?: string) => fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
const cookiesOf = (res: Response) =>
  Object.fromEntries(
    res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0].split('='))
      .map(([k, ...v]) => [k, v.join('=')]),
  );
const accountRows = async (sub: string) =>
  (await db.query('select id, username, email, password_hash from auth.users where line_user_id = $1', [sub])).rows;

/** Steps 1-2: the gateway's redirect to LINE, and LINE's redirect back (what a browser follows). */
async function startLogin(outcome: { sub: string } | { deny: true }) {
  const start = await get(`${base}/api/auth/line/login`);
  expect(start.status).toBe(302);
  const binding = cookiesOf(start).line_login;
  const authorize = new URL(start.headers.get('location')!);
  fake.nextAuthorize(outcome);
  const back = await get(authorize.toString());
  expect(back.status).toBe(302);
  const callback = new URL(back.headers.get('location')!);
  return { authorize, binding, callback, query: callback.search };
}

/** Step 3: the browser arrives at the gateway's callback with LINE's query and its cookies. */
const finish = (query: string, cookie?: string) => get(`${base}/api/auth/line/callback${query}`, cookie);

function expectFrontend(res: Response, error?: string) {
  expect(res.status).toBe(302);
  const target = new URL(res.headers.get('location')!);
  expect(`${target.origin}${target.pathname}`).toBe(FRONTEND);
  expect(target.searchParams.get('error')).toBe(error ?? null);
  if (error) expect(cookiesOf(res).access_token ?? '').toBe('');
}

describe('LINE Login through the gateway', () => {
  it('redirects to LINE with code flow, openid profile, a random state and nonce and an S256 challenge', async () => {
    const first = await get(`${base}/api/auth/line/login`);
    const second = await get(`${base}/api/auth/line/login`);
    const [a, b] = [first, second].map((r) => new URL(r.headers.get('location')!).searchParams);
    expect(Object.fromEntries(a)).toMatchObject({
      response_type: 'code',
      client_id: fake.login.channelId,
      redirect_uri: CALLBACK,
      scope: 'openid profile',
      code_challenge_method: 'S256',
    });
    expect(a.get('state')).not.toBe(b.get('state'));
    expect(a.get('nonce')).not.toBe(b.get('nonce'));
    expect(a.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    const binding = first.headers.getSetCookie().find((c) => c.startsWith('line_login='))!;
    expect(binding).toMatch(/HttpOnly/i);
    expect(binding).toMatch(/Path=\/api\/auth\/line/);
    expect(binding).toMatch(/SameSite=Lax/i);
  });

  it('ends in a signed-in browser session whose me is the LINE user; the same LINE user again is the same account', async () => {
    const sub = lineUser();
    const { binding, query } = await startLogin({ sub });
    const done = await finish(query, `line_login=${binding}`);
    expectFrontend(done);
    const session = cookiesOf(done);
    expect(session.access_token).toBeTruthy();
    expect(session.refresh_token).toBeTruthy();
    const me = await gql(
      `{ me { id username email lineUserId } }`,
      {},
      { url: `${base}/graphql`, headers: { cookie: `access_token=${session.access_token}` } },
    );
    expect(me.body.data!.me).toMatchObject({ lineUserId: sub, email: null, username: expect.stringMatching(/^line_/) });
    const rows = await accountRows(sub);
    expect(rows).toHaveLength(1);
    expect(rows[0].password_hash).toBeNull();
    // Seed 002's /api/me shows the LINE name and picture: the profile starts with them.
    const cookie = `access_token=${session.access_token}`;
    const apiMe = await eventually(async () => {
      const body = await (await fetch(`${base}/api/me`, { headers: { cookie } })).json();
      return body.name === 'LINE 太郎' ? body : null;
    });
    expect(apiMe).toEqual({
      provider: 'line',
      userId: rows[0].id,
      username: expect.stringMatching(/^line_/),
      name: 'LINE 太郎',
      picture: 'https://example.com/p.png',
    });

    const again = await startLogin({ sub });
    const second = await finish(again.query, `line_login=${again.binding}`);
    expectFrontend(second);
    const me2 = await gql(
      `{ me { id } }`,
      {},
      { url: `${base}/graphql`, headers: { cookie: `access_token=${cookiesOf(second).access_token}` } },
    );
    expect(me2.body.data!.me.id).toBe(rows[0].id);
    expect(await accountRows(sub)).toHaveLength(1);
  });

  it('the user pressing Cancel at LINE lands on the front end with error=access_denied and no session', async () => {
    const { binding, query } = await startLogin({ deny: true });
    expect(new URLSearchParams(query).get('error')).toBe('access_denied');
    expectFrontend(await finish(query, `line_login=${binding}`), 'access_denied');
  });

  it.each([
    ['a missing state', (q: URLSearchParams) => q.delete('state')],
    ['a wrong state', (q: URLSearchParams) => q.set('state', randomBytes(32).toString('base64url'))],
  ])('%s is refused (invalid_state) and creates no account', async (_name, spoil) => {
    const sub = lineUser();
    const { binding, callback } = await startLogin({ sub });
    spoil(callback.searchParams);
    expectFrontend(await finish(callback.search, `line_login=${binding}`), 'invalid_state');
    expect(await accountRows(sub)).toEqual([]);
  });

  it('a reused state is refused: the first callback signs in, the second does not', async () => {
    const sub = lineUser();
    const { binding, query } = await startLogin({ sub });
    expectFrontend(await finish(query, `line_login=${binding}`));
    expectFrontend(await finish(query, `line_login=${binding}`), 'invalid_state');
  });

  it('an expired state is refused', async () => {
    const sub = lineUser();
    const { binding, callback } = await startLogin({ sub });
    await redis.del(`line-login:${callback.searchParams.get('state')}`);
    expectFrontend(await finish(callback.search, `line_login=${binding}`), 'invalid_state');
    expect(await accountRows(sub)).toEqual([]);
  });

  it("a callback from another browser (no binding cookie, or another one's) is refused and does not spoil the owner's", async () => {
    const sub = lineUser();
    const { binding, query } = await startLogin({ sub });
    const otherBrowser = cookiesOf(await get(`${base}/api/auth/line/login`)).line_login;
    expectFrontend(await finish(query), 'invalid_state');
    expectFrontend(await finish(query, `line_login=${otherBrowser}`), 'invalid_state');
    expect(await accountRows(sub)).toEqual([]);
    expectFrontend(await finish(query, `line_login=${binding}`));
  });

  it.each([
    ['a wrong nonce', { nonce: 'not-the-nonce' }],
    ['a wrong aud', { aud: '1234567890' }],
    ['a wrong iss', { iss: 'https://evil.example' }],
    ['an expired id_token', { exp: Math.floor(Date.now() / 1000) - 60 }],
    ['a wrong signature', { signWith: 'not-the-channel-secret' }],
  ])('an id_token with %s is refused (login_failed) and creates no account', async (_name, change) => {
    const sub = lineUser();
    const { binding, query } = await startLogin({ sub });
    fake.tamperNextIdToken(change);
    expectFrontend(await finish(query, `line_login=${binding}`), 'login_failed');
    expect(await accountRows(sub)).toEqual([]);
  });

  it('a code exchanged without the right verifier is refused by LINE, and so by the platform', async () => {
    const sub = lineUser();
    const { callback } = await startLogin({ sub });
    const code = callback.searchParams.get('code')!;
    const wrongVerifier = randomBytes(48).toString('base64url');
    const res = await gql(
      `mutation($i: LineLoginInput!) { lineLogin(input: $i) { accessToken } }`,
      { i: { code, codeVerifier: wrongVerifier, nonce: 'n' } },
      { url: `${base}/graphql` },
    );
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await accountRows(sub)).toEqual([]);
    expect(createHash('sha256').update(wrongVerifier).digest('base64url')).not.toBe(callback.searchParams.get('code_challenge'));
  });

  it('unconfigured, the LINE routes answer 503 saying what is missing', async () => {
    const res = await fetch(`${inject('urls').gateway}/api/auth/line/login`, { redirect: 'manual' });
    expect(res.status).toBe(503);
    expect((await res.json()).message).toMatch(/LINE Login is not configured.*LINE_LOGIN_CHANNEL_ID/);
  });
});
