/**
 * Issue #11 (part A): the login throttle and password storage.
 *
 * - An attempt is counted before its password is checked, so parallel attempts never get more
 *   than LOGIN_MAX_FAILURES tries.
 * - Failures count per account AND client address: whoever types an account's name wrongly
 *   locks only themselves out, not the owner. A slower account-wide limit
 *   (LOGIN_ACCOUNT_MAX_FAILURES, 20 x by default) stops guessing spread over many addresses.
 * - Behind the gateway every call reaches auth from the gateway's address; the gateway names its
 *   client in `x-client-ip`, which auth believes only next to the internal key
 *   (`x-internal-authorization: Bearer <INTERNAL_API_KEY>`). Most tests play the gateway with
 *   that header against auth's own port (and check a direct caller cannot forge it); one goes
 *   through a gateway replica.
 * - Passwords are stored with argon2id; scrypt hashes of earlier versions still verify and are
 *   replaced at the next successful login.
 */
import { randomBytes, randomInt, scryptSync } from 'node:crypto';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { errorCode, gql, LOGIN, platformEnv, REGISTER, unique } from './support/client.js';
import { call, expectError, openDatabase } from './support/tokens.js';

const db = openDatabase();
afterAll(() => db.end());

const env = inject('env');
const MAX_FAILURES = Number(env.LOGIN_MAX_FAILURES ?? 5);
const ACCOUNT_MAX_FAILURES = Number(env.LOGIN_ACCOUNT_MAX_FAILURES ?? 20 * MAX_FAILURES);
const authUrl = () => `${inject('urls').auth}/graphql`;

interface Account {
  id: string;
  username: string;
  email: string;
  password: string;
}

async function newAccount(prefix: string): Promise<Account> {
  const username = unique(prefix);
  const account = { username, email: `${username}@example.com`, password: `Secret-${randomInt(1e9)}-42` };
  const res = await call(REGISTER, { input: account });
  expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
  return { ...account, id: res.body.data!.register.id };
}

const viaGateway = (usernameOrEmail: string, password: string) => call(LOGIN, { input: { usernameOrEmail, password } });

/** A login sent to auth's port the way the gateway sends it, for a client at `clientIp`. */
const asGatewayFor = (clientIp: string, usernameOrEmail: string, password: string, key = env.INTERNAL_API_KEY) =>
  gql(
    LOGIN,
    { input: { usernameOrEmail, password } },
    { url: authUrl(), headers: { 'x-client-ip': clientIp, 'x-internal-authorization': `Bearer ${key}` } },
  );

/** A login sent to auth's port by anyone else, with whatever headers they like. */
const direct = (usernameOrEmail: string, password: string, headers: Record<string, string> = {}) =>
  gql(LOGIN, { input: { usernameOrEmail, password } }, { url: authUrl(), headers });

const wrong = (i: number | string) => `Wrong-password-${i}`;
/** An address from a documentation range, different on each call. */
const testNetAddress = () => `203.0.113.${randomInt(1, 255)}`;

describe('attempts are counted before the password is checked', () => {
  it(`parallel wrong attempts from one client get exactly LOGIN_MAX_FAILURES (${MAX_FAILURES}) tries`, async () => {
    const account = await newAccount('race');
    const results = await Promise.all(Array.from({ length: 4 * MAX_FAILURES }, (_, i) => viaGateway(account.username, wrong(i))));
    const codes = results.map(errorCode);
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(MAX_FAILURES);
    expect(codes.filter((c) => c === 'RATE_LIMIT_EXCEEDED')).toHaveLength(3 * MAX_FAILURES);
    // And the right password from the same client is now refused too.
    expectError(await viaGateway(account.username, account.password), 'RATE_LIMIT_EXCEEDED');
  });
});

describe('a stranger cannot lock the owner out', () => {
  it("another address's failures leave the owner's address alone", async () => {
    const account = await newAccount('lockout');
    const attacker = testNetAddress();
    for (let i = 0; i < MAX_FAILURES; i++) expectError(await asGatewayFor(attacker, account.username, wrong(i)), 'UNAUTHENTICATED');
    const refused = expectError(await asGatewayFor(attacker, account.username, account.password), 'RATE_LIMIT_EXCEEDED');
    expect(refused.extensions?.retryAfter).toBeGreaterThan(0);

    // The owner, elsewhere, signs in: through auth as the gateway names them, and through the gateway itself.
    expect((await asGatewayFor('198.51.100.7', account.username, account.password)).body.errors).toBeUndefined();
    expect((await viaGateway(account.email, account.password)).body.errors).toBeUndefined();
  });

  it('x-client-ip is ignored without the internal key: a direct caller is counted by its own address', async () => {
    const account = await newAccount('forge');
    for (let i = 0; i < MAX_FAILURES; i++) {
      // A fresh forged address each time, with no key or a wrong one: all counted as this caller.
      const headers: Record<string, string> = { 'x-client-ip': testNetAddress() };
      if (i % 2) headers['x-internal-authorization'] = `Bearer ${randomBytes(32).toString('base64url')}`;
      expectError(await direct(account.username, wrong(i), headers), 'UNAUTHENTICATED');
    }
    expectError(await direct(account.username, account.password, { 'x-client-ip': testNetAddress() }), 'RATE_LIMIT_EXCEEDED');
    expectError(await asGatewayFor(testNetAddress(), account.username, account.password, 'x'.repeat(43)), 'RATE_LIMIT_EXCEEDED');
    // A client the gateway names (key included) is somebody else.
    expect((await asGatewayFor('198.51.100.8', account.username, account.password)).body.errors).toBeUndefined();
  });

  it('IPv6 addresses are counted by their /64, since one subscriber holds all of it', async () => {
    const account = await newAccount('v6');
    for (let i = 1; i <= MAX_FAILURES; i++)
      expectError(await asGatewayFor(`2001:db8:0:42::${i}`, account.username, wrong(i)), 'UNAUTHENTICATED');
    expectError(await asGatewayFor('2001:db8:0:42:ffff::99', account.username, account.password), 'RATE_LIMIT_EXCEEDED');
    expect((await asGatewayFor('2001:db8:0:43::1', account.username, account.password)).body.errors).toBeUndefined();
  });

  it(`guessing spread over many addresses stops at LOGIN_ACCOUNT_MAX_FAILURES (${ACCOUNT_MAX_FAILURES}) for the account; the owner's successes do not count`, async () => {
    const account = await newAccount('spread');
    const addresses = Array.from({ length: Math.ceil(ACCOUNT_MAX_FAILURES / MAX_FAILURES) }, (_, i) => `192.0.2.${i + 1}`);
    // The owner signs in now and then meanwhile: those attempts are taken off the account's count.
    for (let i = 0; i < 3; i++)
      expect((await asGatewayFor('198.51.100.9', account.username, account.password)).body.errors).toBeUndefined();
    let failures = 0;
    for (const [n, address] of addresses.entries()) {
      const batch = Math.min(MAX_FAILURES, ACCOUNT_MAX_FAILURES - failures);
      const results = await Promise.all(
        Array.from({ length: batch }, (_, i) => asGatewayFor(address, account.username, wrong(`${n}-${i}`))),
      );
      for (const res of results) expectError(res, 'UNAUTHENTICATED');
      failures += batch;
    }
    expect(failures).toBe(ACCOUNT_MAX_FAILURES);
    // Now every address is refused, even with the right password: the account is locked for the rest of its window.
    const refused = expectError(await asGatewayFor('198.51.100.10', account.username, account.password), 'RATE_LIMIT_EXCEEDED');
    expect(refused.extensions?.retryAfter).toBeGreaterThan(0);
    expect(refused.extensions?.retryAfter).toBeLessThanOrEqual(Number(env.LOGIN_ACCOUNT_WINDOW ?? 3600));
  });

  describe('through a gateway: it names its client to auth', () => {
    // A gateway replica that trusts one proxy hop, so X-Forwarded-For plays clients at different addresses.
    let gateway: GatewayService;
    let url: string;
    beforeAll(async () => {
      gateway = await buildGateway({ config: loadGatewayConfig({ ...platformEnv(), TRUST_PROXY_HOPS: '1' }) });
      url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}/graphql`;
    });
    afterAll(() => gateway?.close());
    const loginFrom = (clientIp: string, usernameOrEmail: string, password: string) =>
      call(LOGIN, { input: { usernameOrEmail, password } }, { url, headers: { 'x-forwarded-for': clientIp } });

    it("one client's failures do not lock the account for another client of the same gateway", async () => {
      const account = await newAccount('gwlock');
      for (let i = 0; i < MAX_FAILURES; i++) expectError(await loginFrom('203.0.113.50', account.username, wrong(i)), 'UNAUTHENTICATED');
      expectError(await loginFrom('203.0.113.50', account.username, account.password), 'RATE_LIMIT_EXCEEDED');
      expect((await loginFrom('198.51.100.50', account.username, account.password)).body.errors).toBeUndefined();
    });
  });

  it('an unknown name is limited the same way (the limits do not tell whether an account exists)', async () => {
    const ghost = unique('ghost');
    const attacker = testNetAddress();
    for (let i = 0; i < MAX_FAILURES; i++) expectError(await asGatewayFor(attacker, ghost, wrong(i)), 'UNAUTHENTICATED');
    expectError(await asGatewayFor(attacker, ghost, wrong('x')), 'RATE_LIMIT_EXCEEDED');
    expectError(await asGatewayFor('198.51.100.11', ghost, wrong('y')), 'UNAUTHENTICATED');
  });
});

// ---------- password storage ----------

const storedHash = async (id: string) =>
  (await db.query<{ password_hash: string }>('SELECT password_hash FROM auth.users WHERE id = $1', [id])).rows[0].password_hash;

/** The PHC string of argon2id at the cost the platform under test runs with (OWASP's 19 MiB x 2 unless set). */
const ARGON2ID = new RegExp(
  `^\\$argon2id\\$v=19\\$m=${env.PASSWORD_HASH_MEMORY_KIB ?? 19456},t=${env.PASSWORD_HASH_PASSES ?? 2},p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}$`,
);

describe('password storage', () => {
  it('a new password is stored as argon2id (PHC string with its cost and a 16-byte salt)', async () => {
    const a = await newAccount('argon');
    const b = await newAccount('argon');
    const [hashA, hashB] = [await storedHash(a.id), await storedHash(b.id)];
    expect(hashA).toMatch(ARGON2ID);
    expect(hashB).toMatch(ARGON2ID);
    expect(hashA.split('$')[4]).not.toBe(hashB.split('$')[4]); // salted
    expect(hashA).not.toContain(a.password);
  });

  it('a scrypt hash written by an earlier version still signs in, and is replaced by argon2id at that login', async () => {
    const account = await newAccount('legacy');
    // The row as the previous version stored it (scrypt, N=16384): this test's own account.
    const salt = randomBytes(16);
    const legacy = [
      'scrypt',
      16384,
      8,
      1,
      salt.toString('base64url'),
      scryptSync(account.password.normalize('NFKC'), salt, 64, { N: 16384, r: 8, p: 1 }).toString('base64url'),
    ].join('$');
    await db.query('UPDATE auth.users SET password_hash = $2 WHERE id = $1', [account.id, legacy]);

    expectError(await viaGateway(account.username, wrong('legacy')), 'UNAUTHENTICATED');
    expect((await viaGateway(account.username, account.password)).body.errors).toBeUndefined();
    const upgraded = await storedHash(account.id);
    expect(upgraded).toMatch(ARGON2ID);
    expect((await viaGateway(account.username, account.password)).body.errors).toBeUndefined();
    expect(await storedHash(account.id)).toBe(upgraded); // once is enough
    expectError(await viaGateway(account.username, wrong('after')), 'UNAUTHENTICATED');
  });
});
