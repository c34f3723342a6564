/**
 * A subgraph reached directly (not through the gateway) verifies the caller's token itself and
 * exposes nothing private: no token -> UNAUTHENTICATED, someone else's data -> FORBIDDEN / null,
 * a forged token -> HTTP 401, and no made-up header is ever trusted.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, eventually, type GraphQLResult, loginAdmin, registerAndLogin, type TestUser } from './support/client.js';

const USERS_ENTITY = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id profile { firstName lastName displayName pictureUrl locale } lastLoginAt } }
}`;
const USERS_PROFILE_ONLY = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { profile { firstName } } } }`;
const USERS_LAST_LOGIN_ONLY = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { lastLoginAt } } }`;
const AUTH_ENTITY = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id username email lineUserId createdAt } }
}`;
const AUTH_EMAIL_ONLY = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { email } } }`;
const ME = `{ me { id profile { firstName locale } lastLoginAt } }`;
const UPDATE = `mutation Update($input: UpdateProfileInput!) { updateProfile(input: $input) { id profile { firstName } } }`;

const usersUrl = () => `${inject('urls').users}/graphql`;
const authUrl = () => `${inject('urls').auth}/graphql`;
const ref = (id: string) => ({ representations: [{ __typename: 'User', id }] });

/** Every error carries `code`, and there is at least one. */
function expectCodes(result: GraphQLResult, code: string) {
  expect(result.body.errors?.length, JSON.stringify(result.body)).toBeGreaterThan(0);
  for (const error of result.body.errors!) expect(error.extensions?.code, JSON.stringify(result.body)).toBe(code);
}

/**
 * `_entities` answered nothing private: no data at all, or entities that are null or whose
 * fields (nullable ones like lastLoginAt come back as null next to the error) are all null.
 */
function expectNoEntities(result: GraphQLResult) {
  const entities: (Record<string, unknown> | null)[] = result.body.data?._entities ?? [];
  const empty = (e: Record<string, unknown> | null) => e === null || Object.values(e).every((v) => v === null);
  expect(entities.every(empty), JSON.stringify(result.body)).toBe(true);
}

/** The response text does not contain any of these values. */
function expectNotLeaked(result: GraphQLResult, ...values: string[]) {
  const text = JSON.stringify(result.body);
  for (const v of values) expect(text, `leaked ${v}`).not.toContain(v);
}

let db: pg.Pool;
let alice: TestUser;
let bob: TestUser;
const BOB_FIRST = `Bob${randomBytes(4).toString('hex')}`;
const BOB_LAST = `Secret${randomBytes(4).toString('hex')}`;

const readMe = async (user: TestUser) => (await call(ME, {}, { token: user.accessToken })).body.data?.me;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
  [alice, bob] = await Promise.all([registerAndLogin('alice'), registerAndLogin('bob')]);
  await eventually(async () => (await readMe(alice))?.lastLoginAt && (await readMe(bob))?.lastLoginAt);
  const res = await call(UPDATE, { input: { firstName: BOB_FIRST, lastName: BOB_LAST } }, { token: bob.accessToken });
  expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
});
afterAll(async () => {
  await db?.end();
});

const profileRow = async (userId: string) => (await db.query('select * from users.profiles where user_id = $1', [userId])).rows[0];

describe('without a token', () => {
  it('users: _entities of a User gives UNAUTHENTICATED and no profile or lastLoginAt', async () => {
    for (const query of [USERS_ENTITY, USERS_PROFILE_ONLY, USERS_LAST_LOGIN_ONLY]) {
      const res = await call(query, ref(bob.id), { url: usersUrl() });
      expectCodes(res, 'UNAUTHENTICATED');
      expectNoEntities(res);
      expectNotLeaked(res, BOB_FIRST, BOB_LAST);
    }
  });

  it('auth: _entities of a User gives UNAUTHENTICATED and no email', async () => {
    for (const query of [AUTH_ENTITY, AUTH_EMAIL_ONLY]) {
      const res = await call(query, ref(bob.id), { url: authUrl() });
      expectCodes(res, 'UNAUTHENTICATED');
      expectNoEntities(res);
      expectNotLeaked(res, bob.email, bob.username);
    }
  });

  it('users: me, updateProfile, initializeUser and deleteMe are UNAUTHENTICATED, and nothing is written', async () => {
    const rowBefore = await profileRow(bob.id);
    const me = await call(ME, {}, { url: usersUrl() });
    expectCodes(me, 'UNAUTHENTICATED');
    expect(me.body.data?.me ?? null).toBeNull();
    expectCodes(await call(UPDATE, { input: { firstName: 'Hacked' } }, { url: usersUrl() }), 'UNAUTHENTICATED');
    expectCodes(await call(`mutation { initializeUser(input: { locale: "en-US" }) { id } }`, {}, { url: usersUrl() }), 'UNAUTHENTICATED');
    expectCodes(await call(`mutation { deleteMe { id } }`, {}, { url: usersUrl() }), 'UNAUTHENTICATED');
    expect(await profileRow(bob.id)).toEqual(rowBefore);
  });

  it('a made-up identity header is not trusted (x-user-id and friends)', async () => {
    const headers = {
      'x-user-id': bob.id,
      'x-userid': bob.id,
      'x-auth-user-id': bob.id,
      'x-forwarded-user': bob.id,
      'x-user': JSON.stringify({ id: bob.id, scopes: ['admin'] }),
      'x-user-scopes': 'admin',
      'x-scopes': 'admin',
    };
    const rowBefore = await profileRow(bob.id);
    for (const url of [usersUrl(), inject('gatewayUrl')]) {
      const me = await call(ME, {}, { url, headers });
      expectCodes(me, 'UNAUTHENTICATED');
      expect(me.body.data?.me ?? null).toBeNull();
      expectNotLeaked(me, BOB_FIRST);
      expectCodes(await call(UPDATE, { input: { firstName: 'Hacked' } }, { url, headers }), 'UNAUTHENTICATED');
    }
    const entities = await call(USERS_ENTITY, ref(bob.id), { url: usersUrl(), headers });
    expectCodes(entities, 'UNAUTHENTICATED');
    expectNoEntities(entities);
    const email = await call(AUTH_ENTITY, ref(bob.id), { url: authUrl(), headers });
    expectCodes(email, 'UNAUTHENTICATED');
    expectNotLeaked(email, bob.email);
    expect(await profileRow(bob.id)).toEqual(rowBefore);
  });
});

describe("with a valid token, someone else's data", () => {
  it("users: Alice asking for Bob's profile or lastLoginAt gets FORBIDDEN and nothing of Bob's", async () => {
    for (const query of [USERS_ENTITY, USERS_PROFILE_ONLY, USERS_LAST_LOGIN_ONLY]) {
      const res = await call(query, ref(bob.id), { url: usersUrl(), token: alice.accessToken });
      expectCodes(res, 'FORBIDDEN');
      expectNoEntities(res);
      expectNotLeaked(res, BOB_FIRST, BOB_LAST);
    }
  });

  it('users: a mixed batch answers Alice for Alice and FORBIDDEN for Bob', async () => {
    const res = await call(
      USERS_ENTITY,
      {
        representations: [
          { __typename: 'User', id: alice.id },
          { __typename: 'User', id: bob.id },
        ],
      },
      { url: usersUrl(), token: alice.accessToken },
    );
    expectCodes(res, 'FORBIDDEN');
    expect(res.body.data?._entities?.[0]).toMatchObject({ id: alice.id, profile: { locale: 'ja-JP' } });
    expect(res.body.data?._entities?.[1] ?? null).toBeNull();
    expectNotLeaked(res, BOB_FIRST, BOB_LAST);
  });

  it("users: Alice's own profile is hers to read; an x-user-id header does not make her Bob", async () => {
    const own = await call(USERS_ENTITY, ref(alice.id), { url: usersUrl(), token: alice.accessToken });
    expect(own.body.errors, JSON.stringify(own.body)).toBeUndefined();
    expect(own.body.data!._entities[0]).toMatchObject({ id: alice.id, profile: { firstName: null, locale: 'ja-JP' } });
    expect(own.body.data!._entities[0].lastLoginAt).toBeTruthy();

    const headers = { 'x-user-id': bob.id, 'x-user-scopes': 'admin' };
    const me = await call(ME, {}, { url: usersUrl(), token: alice.accessToken, headers });
    expect(me.body.data!.me.id).toBe(alice.id);
    const bobs = await call(USERS_ENTITY, ref(bob.id), { url: usersUrl(), token: alice.accessToken, headers });
    expectCodes(bobs, 'FORBIDDEN');
    expectNotLeaked(bobs, BOB_FIRST);
    // Updating writes Alice's profile only.
    const rowBefore = await profileRow(bob.id);
    const upd = await call(UPDATE, { input: { firstName: 'AliceOnly' } }, { url: usersUrl(), token: alice.accessToken, headers });
    expect(upd.body.data!.updateProfile).toEqual({ id: alice.id, profile: { firstName: 'AliceOnly' } });
    expect(await profileRow(bob.id)).toEqual(rowBefore);
    await call(UPDATE, { input: { firstName: null } }, { url: usersUrl(), token: alice.accessToken });
  });

  it('auth: Alice resolving Bob gets his public fields only (email and lineUserId null)', async () => {
    const res = await call(AUTH_ENTITY, ref(bob.id), { url: authUrl(), token: alice.accessToken });
    expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
    expect(res.body.data!._entities[0]).toMatchObject({ id: bob.id, username: bob.username, email: null, lineUserId: null });
    expectNotLeaked(res, bob.email);
    // Her own email she may see.
    const own = await call(AUTH_ENTITY, ref(alice.id), { url: authUrl(), token: alice.accessToken });
    expect(own.body.data!._entities[0]).toMatchObject({ id: alice.id, email: alice.email });
  });

  it("an admin may read Bob's profile and email", async () => {
    const admin = await loginAdmin();
    const profile = await call(USERS_ENTITY, ref(bob.id), { url: usersUrl(), token: admin.accessToken });
    expect(profile.body.errors, JSON.stringify(profile.body)).toBeUndefined();
    expect(profile.body.data!._entities[0]).toMatchObject({ id: bob.id, profile: { firstName: BOB_FIRST, lastName: BOB_LAST } });
    const email = await call(AUTH_EMAIL_ONLY, ref(bob.id), { url: authUrl(), token: admin.accessToken });
    expect(email.body.data!._entities[0]).toEqual({ email: bob.email });
  });

  it('malformed or unknown references resolve to nothing', async () => {
    for (const id of ['not-a-uuid', '00000000-0000-0000-0000-000000000000']) {
      const res = await call(AUTH_ENTITY, ref(id), { url: authUrl(), token: alice.accessToken });
      expectNoEntities(res);
      const users = await call(USERS_ENTITY, ref(id), { url: usersUrl(), token: alice.accessToken });
      expectCodes(users, 'FORBIDDEN');
      expectNoEntities(users);
    }
  });
});

describe('variables of the wrong type, sent to the users subgraph directly', () => {
  it('are a VALIDATION_ERROR naming the variables, and write nothing', async () => {
    const rowBefore = await profileRow(alice.id);
    for (const input of [{ firstName: { nested: true } }, { firstName: 5 }, { nickname: 'x' }]) {
      const res = await call(UPDATE, { input }, { url: usersUrl(), token: alice.accessToken });
      expectCodes(res, 'VALIDATION_ERROR');
      expect(res.body.errors![0].extensions!.validationErrors).toEqual([expect.objectContaining({ field: 'variables' })]);
    }
    expect(await profileRow(alice.id)).toEqual(rowBefore);
  });
});

describe('forged tokens', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  /** Tokens that look like Bob's but were not signed by the auth service's current key. */
  async function forgeries(): Promise<Record<string, string>> {
    const realHeader = decodeProtectedHeader(alice.accessToken);
    const realClaims = decodeJwt(alice.accessToken);
    const claims = { ...realClaims, sub: bob.id, scope: 'admin', jti: crypto.randomUUID() };

    const { privateKey } = await generateKeyPair('ES256');
    const sign = (header: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', ...header } as { alg: string }).sign(privateKey);

    const jwks = (await (await fetch(`${inject('urls').auth}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    const publicJwk = jwks.keys.find((k) => k.kid === realHeader.kid) ?? jwks.keys[0];
    const hmacWithPublicKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: realHeader.kid })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));

    const [h, , s] = alice.accessToken.split('.');
    return {
      'alg none': `${b64({ alg: 'none', typ: 'JWT', kid: realHeader.kid })}.${b64(claims)}.`,
      'alg none, no kid': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      'random ES256 key, made-up kid': await sign({ kid: `kid-${randomBytes(6).toString('hex')}` }),
      'random ES256 key, the real kid': await sign({ kid: realHeader.kid }),
      'random ES256 key, its own jwk embedded': await sign({
        kid: realHeader.kid,
        jwk: await exportJWK((await generateKeyPair('ES256')).publicKey),
      }),
      'HS256 with the public key as secret': hmacWithPublicKey,
      "Alice's signature on Bob's claims": `${h}.${b64(claims)}.${s}`,
      garbage: 'not.a.jwt',
      'empty bearer': '',
    };
  }

  it('are refused with HTTP 401 UNAUTHENTICATED by both subgraphs and the gateway, revealing nothing', async () => {
    const rowBefore = await profileRow(bob.id);
    for (const [name, token] of Object.entries(await forgeries())) {
      const headers = { authorization: `Bearer ${token}` };
      const targets: [string, string, Record<string, unknown>][] = [
        [usersUrl(), USERS_ENTITY, ref(bob.id)],
        [usersUrl(), ME, {}],
        [usersUrl(), UPDATE, { input: { firstName: 'Forged' } }],
        [authUrl(), AUTH_ENTITY, ref(bob.id)],
        [inject('gatewayUrl'), ME, {}],
      ];
      for (const [url, query, variables] of targets) {
        const res = await call(query, variables, { url, headers });
        expect(res.status, `${name} at ${url}: ${JSON.stringify(res.body)}`).toBe(401);
        expectCodes(res, 'UNAUTHENTICATED');
        expect(res.body.data ?? null, name).toBeNull();
        expectNotLeaked(res, BOB_FIRST, BOB_LAST, bob.email);
      }
    }
    expect(await profileRow(bob.id)).toEqual(rowBefore);
  });

  it('the genuine token still works (the forgeries were refused for being forged)', async () => {
    const res = await call(ME, {}, { url: usersUrl(), token: bob.accessToken });
    expect(res.body.data!.me).toMatchObject({ id: bob.id, profile: { firstName: BOB_FIRST } });
  });
});
