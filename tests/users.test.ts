/**
 * users subgraph through the gateway: `me`, `updateProfile` (validation, read-your-writes, the
 * shared `profile:{id}` cache entry) and `initializeUser`. Each test owns a fresh user.
 * Postgres and Redis are only read, to prove what was (not) written and what the cache holds.
 */
import { RedisCache } from '@app/platform';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, eventually, type GraphQLResult, registerAndLogin, type TestUser } from './support/client.js';

const PROFILE_FIELDS = 'firstName lastName displayName pictureUrl locale';
const ME = `query Me { me { id username profile { ${PROFILE_FIELDS} } lastLoginAt } }`;
const UPDATE = `mutation Update($input: UpdateProfileInput!) { updateProfile(input: $input) { id profile { ${PROFILE_FIELDS} } } }`;
const UPDATE_ID_ONLY = `mutation Update($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`;
const INITIALIZE = `mutation Init($input: InitializeUserInput) { initializeUser(input: $input) { id profile { ${PROFILE_FIELDS} } } }`;

function expectCode(result: GraphQLResult, code: string, label = '') {
  expect(result.body.errors, `${label} ${JSON.stringify(result.body)}`).toBeDefined();
  expect(result.body.errors![0].extensions?.code, `${label} ${JSON.stringify(result.body)}`).toBe(code);
}

/** A VALIDATION_ERROR whose `validationErrors` name exactly these fields. */
function expectValidationError(result: GraphQLResult, fields: string[], label = '') {
  expectCode(result, 'VALIDATION_ERROR', label);
  const listed = (result.body.errors![0].extensions!.validationErrors as { field: string; message: string }[]) ?? [];
  expect(listed.length, JSON.stringify(result.body)).toBeGreaterThan(0);
  for (const entry of listed) expect(typeof entry.message).toBe('string');
  expect([...new Set(listed.map((e) => e.field))].sort()).toEqual([...fields].sort());
}

let db: pg.Pool;
let redis: RedisCache;

beforeAll(() => {
  const env = inject('env');
  db = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
  redis = RedisCache.connect(env.REDIS_URL);
});
afterAll(async () => {
  await db?.end();
  await redis?.close();
});

const profileRow = async (userId: string) => (await db.query('select * from users.profiles where user_id = $1', [userId])).rows[0];

const readMe = async (user: TestUser) => {
  const res = await call(ME, {}, { token: user.accessToken });
  expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
  return res.body.data!.me;
};

/**
 * A registered, logged-in user whose login has been recorded (the auth.user.logged_in event is
 * handled), so no later event touches their profile or its cache entries behind the test's back.
 */
async function settledUser(prefix: string): Promise<TestUser> {
  const user = await registerAndLogin(prefix);
  await eventually(async () => (await readMe(user)).lastLoginAt);
  return user;
}

describe('me', () => {
  it('returns a fresh user with the default profile, and lastLoginAt once the login event is handled', async () => {
    const before = Date.now();
    const user = await registerAndLogin('me');
    const me = await readMe(user);
    expect(me).toMatchObject({
      id: user.id,
      username: user.username,
      profile: { firstName: null, lastName: null, displayName: null, pictureUrl: null, locale: 'ja-JP' },
    });

    const lastLoginAt = await eventually(async () => (await readMe(user)).lastLoginAt as string | null);
    expect(new Date(lastLoginAt).toISOString()).toBe(lastLoginAt);
    // Same machine, same clock: the login happened during this test (a second of slack for rounding).
    expect(Date.parse(lastLoginAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(lastLoginAt)).toBeLessThanOrEqual(Date.now() + 1000);

    // Logging in again moves it forward.
    const again = await call(`mutation($input: LoginInput!) { login(input: $input) { accessToken } }`, {
      input: { usernameOrEmail: user.username, password: user.password },
    });
    expect(again.body.errors).toBeUndefined();
    await eventually(async () => Date.parse((await readMe(user)).lastLoginAt) > Date.parse(lastLoginAt));
  });

  it('is UNAUTHENTICATED for an anonymous caller', async () => {
    const res = await call(ME);
    expectCode(res, 'UNAUTHENTICATED');
    expect(res.body.data?.me ?? null).toBeNull();
  });

  it('refuses a malformed token', async () => {
    const res = await call(ME, {}, { token: 'not-a-jwt' });
    expect(res.status).toBe(401);
    expectCode(res, 'UNAUTHENTICATED');
    expect(res.body.data ?? null).toBeNull();
  });
});

describe('updateProfile', () => {
  it('every update is visible on the very next read (read-your-writes, repeated)', async () => {
    const user = await settledUser('ryw');
    for (let i = 0; i < 12; i++) {
      const input = {
        firstName: `First${i}`,
        lastName: i % 2 ? `Last${i}` : null,
        displayName: `Display ${i}`,
        pictureUrl: `https://cdn.example.com/p/${i}.png`,
        locale: i % 3 === 0 ? 'en-US' : i % 3 === 1 ? 'ja-JP' : 'fr-FR',
      };
      // Alternate between a mutation that re-reads the profile in its answer and one that does not.
      const res = await call(i % 2 ? UPDATE : UPDATE_ID_ONLY, { input }, { token: user.accessToken });
      expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
      if (i % 2) expect(res.body.data!.updateProfile.profile).toEqual(input);
      expect((await readMe(user)).profile).toEqual(input);
      expect((await readMe(user)).profile).toEqual(input);
    }
  });

  it('leaves fields out of the input as they are, and null (or an empty string) clears one', async () => {
    const user = await settledUser('partial');
    const full = {
      firstName: 'Hanako',
      lastName: 'Yamada',
      displayName: 'Hana',
      pictureUrl: 'https://example.com/hana.png',
      locale: 'en-GB',
    };
    expect((await call(UPDATE, { input: full }, { token: user.accessToken })).body.data!.updateProfile.profile).toEqual(full);

    const partial = await call(UPDATE, { input: { displayName: 'H.Y.' } }, { token: user.accessToken });
    expect(partial.body.data!.updateProfile.profile).toEqual({ ...full, displayName: 'H.Y.' });
    expect((await readMe(user)).profile).toEqual({ ...full, displayName: 'H.Y.' });

    const cleared = await call(UPDATE, { input: { lastName: null, pictureUrl: null } }, { token: user.accessToken });
    expect(cleared.body.data!.updateProfile.profile).toEqual({ ...full, displayName: 'H.Y.', lastName: null, pictureUrl: null });

    const emptied = await call(UPDATE, { input: { firstName: '' } }, { token: user.accessToken });
    expect(emptied.body.data!.updateProfile.profile.firstName).toBeNull();

    // An empty input changes nothing.
    const noop = await call(UPDATE, { input: {} }, { token: user.accessToken });
    expect(noop.body.errors).toBeUndefined();
    const expected = { firstName: null, lastName: null, displayName: 'H.Y.', pictureUrl: null, locale: 'en-GB' };
    expect((await readMe(user)).profile).toEqual(expected);

    const row = await profileRow(user.id);
    expect(row).toMatchObject({ first_name: null, last_name: null, display_name: 'H.Y.', picture_url: null, locale: 'en-GB' });
  });

  it('trims text, canonicalises the locale and accepts the longest allowed values', async () => {
    const user = await settledUser('canon');
    const input = { firstName: `  ${'a'.repeat(100)}  `, lastName: 'ß'.repeat(100), locale: 'EN-us' };
    const res = await call(UPDATE, { input }, { token: user.accessToken });
    expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
    expect(res.body.data!.updateProfile.profile).toMatchObject({ firstName: 'a'.repeat(100), lastName: 'ß'.repeat(100), locale: 'en-US' });
  });

  it('refuses bad input with VALIDATION_ERROR naming the field, and writes nothing', async () => {
    const user = await settledUser('invalid');
    const baseline = {
      firstName: 'Base',
      lastName: 'Line',
      displayName: 'BL',
      pictureUrl: 'https://example.com/base.png',
      locale: 'en-GB',
    };
    expect((await call(UPDATE, { input: baseline }, { token: user.accessToken })).body.errors).toBeUndefined();
    const rowBefore = await profileRow(user.id);
    expect(rowBefore).toBeDefined();

    const cases: { input: Record<string, unknown>; fields: string[] }[] = [
      { input: { locale: null }, fields: ['locale'] },
      { input: { locale: '' }, fields: ['locale'] },
      { input: { locale: 'not a locale' }, fields: ['locale'] },
      { input: { locale: 'english' }, fields: ['locale'] },
      { input: { locale: 'ja_JP' }, fields: ['locale'] },
      // Well-formed BCP 47, but longer than any locale the service stores.
      { input: { locale: 'en-US-1901-1994-1996-alalc97-arevela-arevmda-basiceng' }, fields: ['locale'] },
      { input: { pictureUrl: 'ftp://example.com/p.png' }, fields: ['pictureUrl'] },
      { input: { pictureUrl: 'javascript:alert(1)' }, fields: ['pictureUrl'] },
      { input: { pictureUrl: 'data:image/png;base64,AAAA' }, fields: ['pictureUrl'] },
      { input: { pictureUrl: 'not a url' }, fields: ['pictureUrl'] },
      { input: { pictureUrl: `https://example.com/${'a'.repeat(2048)}` }, fields: ['pictureUrl'] },
      { input: { pictureUrl: 'https://example.com/a\u0000b.png' }, fields: ['pictureUrl'] },
      { input: { firstName: 'x'.repeat(101) }, fields: ['firstName'] },
      { input: { lastName: 'y'.repeat(101) }, fields: ['lastName'] },
      { input: { displayName: 'z'.repeat(101) }, fields: ['displayName'] },
      { input: { firstName: 'nul\u0000byte' }, fields: ['firstName'] },
      { input: { displayName: 'tab\there' }, fields: ['displayName'] },
      // Nothing is half-written: the valid part of a rejected input is not applied either.
      { input: { firstName: 'Changed', displayName: 'Changed', locale: 'bad locale' }, fields: ['locale'] },
      { input: { firstName: 'x'.repeat(101), pictureUrl: 'ftp://example.com/p.png' }, fields: ['firstName', 'pictureUrl'] },
    ];
    for (const { input, fields } of cases) {
      const res = await call(UPDATE, { input }, { token: user.accessToken });
      expectValidationError(res, fields, JSON.stringify(input));
      expect(res.body.data ?? null, JSON.stringify(input)).toBeNull();
      expect((await readMe(user)).profile, JSON.stringify(input)).toEqual(baseline);
      expect(await profileRow(user.id), JSON.stringify(input)).toEqual(rowBefore);
    }

    // Variables of the wrong type are refused before anything runs (their error code: see the next test).
    for (const input of [{ firstName: { nested: true } }, { firstName: 5 }, { nickname: 'x' }]) {
      const wrongType = await call(UPDATE, { input }, { token: user.accessToken });
      expect(wrongType.body.errors, JSON.stringify(wrongType.body)).toBeDefined();
      expect(wrongType.body.data ?? null).toBeNull();
      expect(await profileRow(user.id)).toEqual(rowBefore);
    }
  });

  it('variables of the wrong type are a VALIDATION_ERROR at the gateway', async () => {
    const user = await settledUser('vartype');
    for (const input of [{ firstName: { nested: true } }, { firstName: 5 }, { nickname: 'x' }]) {
      const res = await call(UPDATE, { input }, { token: user.accessToken });
      expectCode(res, 'VALIDATION_ERROR', JSON.stringify(input));
      expect(res.body.errors![0].extensions!.validationErrors).toEqual([expect.objectContaining({ field: 'variables' })]);
    }
  });

  it('is UNAUTHENTICATED for an anonymous caller, and writes nothing', async () => {
    const res = await call(UPDATE, { input: { firstName: 'Nobody' } });
    expectCode(res, 'UNAUTHENTICATED');
    expect(res.body.data ?? null).toBeNull();
  });

  /** Reads `me` until a read has filled the shared entry `key`; its stored text, or null after the wait. */
  const readUntilStored = async (user: TestUser, key: string) =>
    eventually(async () => {
      await readMe(user);
      return redis.get(key);
    }).catch(() => null);

  it('deletes the shared cache entry profile:{id}; the next read stores the new profile', async () => {
    const user = await settledUser('cache');
    const key = `profile:${user.id}`;
    await call(UPDATE_ID_ONLY, { input: { firstName: 'Cached' } }, { token: user.accessToken });

    // A read populates the shared entry (cache-aside, 300 s): one that started before the users
    // service heard the update's own announcement stores nothing, so read until one has stored it.
    const cached = await readUntilStored(user, key);
    expect(cached, 'a read stores profile:{id}').not.toBeNull();
    expect(JSON.parse(cached!).profile.firstName).toBe('Cached');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);

    // The update deletes it (the mutation's answer does not read the profile, so nothing refills it).
    const res = await call(UPDATE_ID_ONLY, { input: { firstName: 'Fresh' } }, { token: user.accessToken });
    expect(res.body.errors).toBeUndefined();
    expect(await redis.get(key)).toBeNull();

    // The next read fills it again, with the new value only.
    expect((await readMe(user)).profile.firstName).toBe('Fresh');
    const refilled = await readUntilStored(user, key);
    expect(refilled).not.toBeNull();
    expect(JSON.parse(refilled!).profile.firstName).toBe('Fresh');
  });

  it('a rejected update leaves the cached profile in place and correct', async () => {
    const user = await settledUser('cachebad');
    const key = `profile:${user.id}`;
    await call(UPDATE_ID_ONLY, { input: { firstName: 'Kept' } }, { token: user.accessToken });
    const cached = await readUntilStored(user, key);
    expect(cached).not.toBeNull();
    expectValidationError(await call(UPDATE_ID_ONLY, { input: { locale: 'zz zz' } }, { token: user.accessToken }), ['locale']);
    const after = await redis.get(key);
    if (after !== null) expect(JSON.parse(after).profile.firstName).toBe('Kept');
    expect((await readMe(user)).profile.firstName).toBe('Kept');
  });
});

describe('initializeUser', () => {
  it('is idempotent: a second call changes nothing the first one set', async () => {
    const user = await settledUser('init');
    const first = await call(INITIALIZE, { input: { locale: 'en-US', facebookUserId: '10001' } }, { token: user.accessToken });
    expect(first.body.errors, JSON.stringify(first.body)).toBeUndefined();
    expect(first.body.data!.initializeUser).toMatchObject({ id: user.id, profile: { locale: 'en-US' } });
    const rowAfterFirst = await profileRow(user.id);
    expect(rowAfterFirst).toMatchObject({ locale: 'en-US', facebook_user_id: '10001' });
    expect(rowAfterFirst.initialized_at).not.toBeNull();

    const second = await call(INITIALIZE, { input: { locale: 'fr-FR', facebookUserId: '20002' } }, { token: user.accessToken });
    expect(second.body.errors, JSON.stringify(second.body)).toBeUndefined();
    expect(second.body.data!.initializeUser.profile.locale).toBe('en-US');
    expect((await readMe(user)).profile.locale).toBe('en-US');
    const rowAfterSecond = await profileRow(user.id);
    expect(rowAfterSecond).toMatchObject({ locale: 'en-US', facebook_user_id: '10001' });
    expect(rowAfterSecond.initialized_at).toEqual(rowAfterFirst.initialized_at);

    // And without input at all.
    const third = await call(INITIALIZE, {}, { token: user.accessToken });
    expect(third.body.errors).toBeUndefined();
    expect(await profileRow(user.id)).toMatchObject({
      locale: 'en-US',
      facebook_user_id: '10001',
      initialized_at: rowAfterFirst.initialized_at,
    });
  });

  it('sets facebookUserId once, on whichever call first brings it', async () => {
    const user = await settledUser('initfb');
    const first = await call(INITIALIZE, { input: null }, { token: user.accessToken });
    expect(first.body.errors, JSON.stringify(first.body)).toBeUndefined();
    expect(first.body.data!.initializeUser.profile.locale).toBe('ja-JP');
    expect(await profileRow(user.id)).toMatchObject({ locale: 'ja-JP', facebook_user_id: null });

    await call(INITIALIZE, { input: { facebookUserId: '300003', locale: 'de-DE' } }, { token: user.accessToken });
    expect(await profileRow(user.id)).toMatchObject({ locale: 'ja-JP', facebook_user_id: '300003' });
    await call(INITIALIZE, { input: { facebookUserId: '400004' } }, { token: user.accessToken });
    expect(await profileRow(user.id)).toMatchObject({ locale: 'ja-JP', facebook_user_id: '300003' });
    expect((await readMe(user)).profile.locale).toBe('ja-JP');
  });

  it('refuses an invalid facebookUserId or locale with VALIDATION_ERROR and writes nothing', async () => {
    const user = await settledUser('initbad');
    const rowBefore = await profileRow(user.id);
    for (const [input, fields] of [
      [{ facebookUserId: 'not-numeric' }, ['facebookUserId']],
      [{ facebookUserId: '1'.repeat(33) }, ['facebookUserId']],
      [{ facebookUserId: '' }, ['facebookUserId']],
      [{ locale: 'nope nope' }, ['locale']],
      [{ locale: 'en-US', facebookUserId: '12ab' }, ['facebookUserId']],
    ] as const) {
      const res = await call(INITIALIZE, { input }, { token: user.accessToken });
      expectValidationError(res, [...fields]);
      expect(res.body.data ?? null).toBeNull();
      expect(await profileRow(user.id), JSON.stringify(input)).toEqual(rowBefore);
    }
    // Still uninitialised: a valid call afterwards is the first one.
    const ok = await call(INITIALIZE, { input: { locale: 'ko-KR', facebookUserId: '555' } }, { token: user.accessToken });
    expect(ok.body.data!.initializeUser.profile.locale).toBe('ko-KR');
    expect(await profileRow(user.id)).toMatchObject({ locale: 'ko-KR', facebook_user_id: '555' });
  });

  it('is UNAUTHENTICATED for an anonymous caller', async () => {
    const res = await call(INITIALIZE, { input: { locale: 'en-US' } });
    expectCode(res, 'UNAUTHENTICATED');
  });
});
