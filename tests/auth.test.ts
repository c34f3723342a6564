/**
 * The auth subgraph through the gateway: registration, login (and its rate limit), refresh-token
 * rotation with reuse detection, and logout.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { LOGIN, REGISTER, registerAndLogin, type TestUser, unique } from './support/client.js';
import { call, countUsers, decode, expectError, expectRefused, fetchJwks, LOGOUT, ME, openDatabase, REFRESH } from './support/tokens.js';

const db = openDatabase();
afterAll(() => db.end());

const MAX_FAILURES = Number(inject('env').LOGIN_MAX_FAILURES ?? 5);

const newAccount = (prefix = 'reg') => {
  const username = unique(prefix);
  // Digits only after a fixed word, so the password never happens to contain a short test username ("ab").
  return { username, email: `${username}@example.com`, password: `Secret-${randomInt(1e9)}-42` };
};
const register = (input: { username: string; email: string; password: string }) => call(REGISTER, { input });
const login = (usernameOrEmail: string, password: string) => call(LOGIN, { input: { usernameOrEmail, password } });

describe('register', () => {
  it('creates the account and returns it', async () => {
    const input = newAccount();
    const res = await register(input);
    expect(res.body.errors).toBeUndefined();
    const user = res.body.data!.register;
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: input.username,
      email: input.email,
      createdAt: expect.any(String),
    });
    expect(Math.abs(Date.parse(user.createdAt) - Date.now())).toBeLessThan(5 * 60_000);
    expect(await countUsers(db, input)).toBe(1);
  });

  it('refuses a username already taken, whatever its case', async () => {
    const first = newAccount();
    await register(first);
    const second = { ...newAccount(), username: first.username.toUpperCase() };
    const error = expectError(await register(second), 'CONFLICT');
    expect(error.extensions?.field).toBe('username');
    expect(await countUsers(db, { username: first.username })).toBe(1);
    expect(await countUsers(db, { email: second.email })).toBe(0);
  });

  it('refuses an email already registered, whatever its case', async () => {
    const first = newAccount();
    await register(first);
    const second = { ...newAccount(), email: first.email.toUpperCase() };
    const error = expectError(await register(second), 'CONFLICT');
    expect(error.extensions?.field).toBe('email');
    expect(await countUsers(db, { email: first.email })).toBe(1);
    expect(await countUsers(db, { username: second.username })).toBe(0);
  });

  type Account = ReturnType<typeof newAccount>;
  const invalid: [string, (account: Account) => Partial<Account>, string[]][] = [
    ['a password shorter than 10 characters', () => ({ password: 'abc12' }), ['password']],
    ['a password without a digit', () => ({ password: 'no-digits-at-all' }), ['password']],
    ['a password containing the username', (a) => ({ password: `${a.username.toUpperCase()}-123` }), ['password']],
    ['a malformed email', () => ({ email: 'not-an-email' }), ['email']],
    ['a username with forbidden characters', () => ({ username: 'bad name!' }), ['username']],
    ['a username too short', () => ({ username: 'ab' }), ['username']],
    ['every field bad at once', () => ({ username: 'x', email: 'nope@', password: 'short' }), ['username', 'email', 'password']],
  ];
  it.each(invalid)('refuses %s with VALIDATION_ERROR naming the field, and writes nothing', async (_, change, fields) => {
    const base = newAccount();
    const input = { ...base, ...change(base) };
    const error = expectError(await register(input), 'VALIDATION_ERROR');
    const problems = error.extensions?.validationErrors as { field: string; message: string }[];
    expect(new Set(problems.map((p) => p.field))).toEqual(new Set(fields));
    for (const problem of problems) expect(problem.message).toEqual(expect.any(String));
    expect(await countUsers(db, input)).toBe(0);
  });
});

describe('login', () => {
  it('works with the username (any case) and with the email, and returns a well-formed AuthPayload', async () => {
    const input = newAccount('login');
    const { id } = (await register(input)).body.data!.register;

    for (const identifier of [input.username, input.username.toUpperCase(), input.email, input.email.toUpperCase()]) {
      const res = await login(identifier, input.password);
      expect(res.body.errors, identifier).toBeUndefined();
      const payload = res.body.data!.login;
      expect(payload).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id, username: input.username, email: input.email } });
      expect(payload.refreshToken).toEqual(expect.any(String));
      expect(payload.refreshToken).not.toBe(payload.accessToken);
    }
  });

  it('issues an ES256 access token with a published kid and the agreed claims', async () => {
    const input = newAccount('claims');
    const { id } = (await register(input)).body.data!.register;
    const { accessToken } = (await login(input.username, input.password)).body.data!.login;

    const { header, claims } = decode(accessToken);
    expect(header.alg).toBe('ES256');
    expect(header.kid).toEqual(expect.any(String));
    expect(claims).toMatchObject({
      iss: inject('env').JWT_ISSUER ?? 'http://localhost:4001',
      aud: inject('env').JWT_AUDIENCE ?? 'federated-platform',
      sub: id,
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: expect.any(Number),
      scope: 'user',
    });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(300);

    // The signature checks out against the auth service's published JWKS.
    await expect(jwtVerify(accessToken, createLocalJWKSet(await fetchJwks()), { algorithms: ['ES256'] })).resolves.toBeDefined();
    // And the gateway accepts it.
    expect((await call(ME, {}, { token: accessToken })).body).toEqual({ data: { me: { id } } });
  });

  it('answers a wrong password and an unknown user with the same error', async () => {
    const input = newAccount('same');
    await register(input);
    const wrongPassword = expectError(await login(input.username, 'Wrong-password-1'), 'UNAUTHENTICATED');
    const unknownUser = expectError(await login(unique('ghost'), input.password), 'UNAUTHENTICATED');
    const unknownEmail = expectError(await login(`${unique('ghost')}@example.com`, input.password), 'UNAUTHENTICATED');
    expect(unknownUser.message).toBe(wrongPassword.message);
    expect(unknownEmail.message).toBe(wrongPassword.message);
  });

  it('locks an account after LOGIN_MAX_FAILURES failures, even for the right password', async () => {
    const input = newAccount('locked');
    await register(input);
    for (let i = 0; i < MAX_FAILURES; i++) expectError(await login(input.username, `Wrong-password-${i}`), 'UNAUTHENTICATED');

    for (const identifier of [input.username, input.email]) {
      const error = expectError(await login(identifier, input.password), 'RATE_LIMIT_EXCEEDED');
      expect(error.extensions?.retryAfter, identifier).toBeGreaterThan(0);
    }
  });

  it('counts failures per account, not per spelling of its name', async () => {
    const input = newAccount('spell');
    await register(input);
    const spellings = [input.username, input.email, input.username.toUpperCase()];
    for (let i = 0; i < MAX_FAILURES; i++)
      expectError(await login(spellings[i % spellings.length], `Wrong-password-${i}`), 'UNAUTHENTICATED');
    expectError(await login(input.username, input.password), 'RATE_LIMIT_EXCEEDED');
  });

  it('locks an unknown name the same way, so the lock does not tell whether an account exists', async () => {
    const ghost = unique('ghost');
    for (let i = 0; i < MAX_FAILURES; i++) expectError(await login(ghost, `Wrong-password-${i}`), 'UNAUTHENTICATED');
    expect(expectError(await login(ghost, 'Wrong-password-x'), 'RATE_LIMIT_EXCEEDED').extensions?.retryAfter).toBeGreaterThan(0);
  });

  it('a successful login clears earlier failures', async () => {
    const input = newAccount('reset');
    await register(input);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < MAX_FAILURES - 1; i++) expectError(await login(input.username, `Wrong-password-${i}`), 'UNAUTHENTICATED');
      expect((await login(input.username, input.password)).body.errors).toBeUndefined();
    }
  });
});

describe('refresh tokens', () => {
  const refresh = (token: string) => call(REFRESH, { token });

  it('rotate: each refresh returns a new working pair', async () => {
    const user = await registerAndLogin('refresh');
    const first = (await refresh(user.refreshToken)).body.data!.refreshToken;
    expect(first).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: user.id } });
    expect(first.refreshToken).not.toBe(user.refreshToken);
    expect(first.accessToken).not.toBe(user.accessToken);
    expect(decode(first.accessToken).claims).toMatchObject({ sub: user.id });
    expect(decode(first.accessToken).claims.jti).not.toBe(decode(user.accessToken).claims.jti);
    expect((await call(ME, {}, { token: first.accessToken })).body).toEqual({ data: { me: { id: user.id } } });

    const second = await refresh(first.refreshToken);
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data!.refreshToken.refreshToken).not.toBe(first.refreshToken);
  });

  it('reusing a rotated refresh token revokes the whole family', async () => {
    const user = await registerAndLogin('reuse');
    const first = (await refresh(user.refreshToken)).body.data!.refreshToken;
    const newest = (await refresh(first.refreshToken)).body.data!.refreshToken;

    expectError(await refresh(user.refreshToken), 'UNAUTHENTICATED'); // the stolen, already used token
    expectError(await refresh(newest.refreshToken), 'UNAUTHENTICATED'); // the legitimate newest one dies with it
    const { rows } = await db.query('SELECT revoked_at FROM auth.refresh_tokens WHERE user_id = $1', [user.id]);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.revoked_at).not.toBeNull();
  });

  it('another session of the same user survives a revoked family', async () => {
    const user = await registerAndLogin('family');
    const other = (await login(user.username, user.password)).body.data!.login;
    const rotated = (await refresh(user.refreshToken)).body.data!.refreshToken;
    expectError(await refresh(user.refreshToken), 'UNAUTHENTICATED');
    expectError(await refresh(rotated.refreshToken), 'UNAUTHENTICATED');
    expect((await refresh(other.refreshToken)).body.errors).toBeUndefined();
  });

  it.each([
    ['garbage', 'not-a-refresh-token'],
    ['a well-formed but unknown token', randomBytes(32).toString('base64url')],
  ])('refuses %s with UNAUTHENTICATED', async (_, token) => {
    expectError(await refresh(token), 'UNAUTHENTICATED');
  });

  it('an empty refresh token is a validation error', async () => {
    expectError(await refresh(''), 'VALIDATION_ERROR');
  });
});

describe('logout', () => {
  const logout = (user: Pick<TestUser, 'accessToken'>, refreshToken?: string) =>
    call(LOGOUT, { refreshToken }, { token: user.accessToken });

  it('revokes the access token at the gateway and the session refresh token', async () => {
    const user = await registerAndLogin('logout');
    expect((await call(ME, {}, { token: user.accessToken })).body.data).toEqual({ me: { id: user.id } });

    expect((await logout(user, user.refreshToken)).body).toEqual({ data: { logout: true } });

    expectRefused(await call(ME, {}, { token: user.accessToken }));
    expectError(await call(REFRESH, { token: user.refreshToken }), 'UNAUTHENTICATED');
  });

  it("without the refresh token argument still ends that session's refresh tokens", async () => {
    const user = await registerAndLogin('logout2');
    const rotated = (await call(REFRESH, { token: user.refreshToken })).body.data!.refreshToken;
    expect((await logout(rotated)).body).toEqual({ data: { logout: true } });
    expectRefused(await call(ME, {}, { token: rotated.accessToken }));
    expectError(await call(REFRESH, { token: rotated.refreshToken }), 'UNAUTHENTICATED');
  });

  it("leaves the user's other sessions alone", async () => {
    const user = await registerAndLogin('logout3');
    const other = (await login(user.username, user.password)).body.data!.login;
    await logout(user, user.refreshToken);
    expect((await call(ME, {}, { token: other.accessToken })).body.data).toEqual({ me: { id: user.id } });
    expect((await call(REFRESH, { token: other.refreshToken })).body.errors).toBeUndefined();
  });

  it('without a token is UNAUTHENTICATED', async () => {
    const res = await call(LOGOUT, {});
    expectError(res, 'UNAUTHENTICATED');
    expect(res.body.data?.logout ?? null).toBeNull();
  });
});
