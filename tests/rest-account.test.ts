import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { registerAndLogin, unique } from './support/client.js';
import { rest, setCookies } from './support/rest.js';

const db = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
afterAll(() => db.end());
const countUsers = async (username: string) =>
  Number((await db.query('select count(*) from auth.users where username_key = $1', [username.toLowerCase()])).rows[0].count);

const newAccount = () => {
  const username = unique('rest').slice(0, 30);
  return { username, email: `${username}@example.com`, password: `pw-${randomBytes(6).toString('hex')}-7` };
};

describe('REST: registration', () => {
  it('POST /api/auth/register answers 201 with the account', async () => {
    const account = newAccount();
    const res = await rest('POST', '/api/auth/register', { body: account });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username: account.username, email: account.email });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).not.toHaveProperty('password');
  });

  it('a duplicate username is 409 CONFLICT naming the field, and nothing is written', async () => {
    const account = newAccount();
    await rest('POST', '/api/auth/register', { body: account });
    const res = await rest('POST', '/api/auth/register', { body: { ...account, email: `other.${account.email}` } });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'CONFLICT', details: { field: 'username' } });
    expect(res.body.requestId).toBeTruthy();
    expect(await countUsers(account.username)).toBe(1);
  });

  it('a weak password and a bad email are 400 with every field named, and nothing is written', async () => {
    const account = newAccount();
    const res = await rest('POST', '/api/auth/register', { body: { ...account, email: 'not-an-email', password: 'short' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    const fields = res.body.details.validationErrors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['email', 'password']));
    expect(await countUsers(account.username)).toBe(0);
  });

  it('a body that is not JSON, or has unknown fields, is 400', async () => {
    const malformed = await rest('POST', '/api/auth/register', { body: '{"username":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('VALIDATION_ERROR');
    const account = newAccount();
    const extra = await rest('POST', '/api/auth/register', { body: { ...account, is_admin: true } });
    expect(extra.status).toBe(400);
    expect(extra.body.details.validationErrors[0].message).toMatch(/is_admin/);
    expect(await countUsers(account.username)).toBe(0);
  });
});

describe('REST: cookie sessions (BFF)', () => {
  it('login sets HttpOnly SameSite cookies and keeps the tokens out of the body', async () => {
    const account = newAccount();
    await rest('POST', '/api/auth/register', { body: account });
    const res = await rest('POST', '/api/auth/login', { body: { usernameOrEmail: account.username, password: account.password } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user: { username: account.username }, tokenType: 'Bearer', expiresIn: 900 });
    expect(res.text).not.toMatch(/accessToken|refreshToken|eyJ/);
    const cookies = setCookies(res.headers);
    expect(cookies.access_token.attributes).toMatch(/HttpOnly/);
    expect(cookies.access_token.attributes).toMatch(/SameSite=Lax/);
    expect(cookies.access_token.attributes).toMatch(/Path=\//);
    expect(cookies.refresh_token.attributes).toMatch(/HttpOnly/);
    expect(cookies.refresh_token.attributes).toMatch(/SameSite=Strict/);
    expect(cookies.refresh_token.attributes).toMatch(/Path=\/api\/auth/);
  });

  it('mode=token returns the tokens in the body and sets no cookie', async () => {
    const account = newAccount();
    await rest('POST', '/api/auth/register', { body: account });
    const res = await rest('POST', '/api/auth/login', {
      body: { usernameOrEmail: account.email, password: account.password, mode: 'token' },
    });
    expect(res.status).toBe(200);
    expect(res.body.accessToken).toMatch(/^eyJ/);
    expect(res.body.refreshToken).toBeTruthy();
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('wrong password and unknown user are the same 401', async () => {
    const account = newAccount();
    await rest('POST', '/api/auth/register', { body: account });
    const wrong = await rest('POST', '/api/auth/login', { body: { usernameOrEmail: account.username, password: 'wrong-password-1' } });
    const unknown = await rest('POST', '/api/auth/login', {
      body: { usernameOrEmail: `${account.username}_x`, password: 'wrong-password-1' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe(unknown.body.message);
    expect(wrong.headers.getSetCookie()).toEqual([]);
  });

  it('a request with only the cookie works; logout clears it and the old token is refused', async () => {
    const account = newAccount();
    await rest('POST', '/api/auth/register', { body: account });
    const login = await rest('POST', '/api/auth/login', { body: { usernameOrEmail: account.username, password: account.password } });
    const { access_token, refresh_token } = setCookies(login.headers);
    const cookie = `access_token=${access_token.value}; refresh_token=${refresh_token.value}`;

    const me = await rest('GET', '/api/me', { cookie });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ provider: 'password', username: account.username, name: account.username, picture: null });

    const logout = await rest('GET', '/api/logout', { cookie });
    expect(logout.status).toBe(302);
    expect(logout.headers.get('location')).toBe('/');
    const cleared = setCookies(logout.headers);
    expect(cleared.access_token.value).toBe('');
    expect(cleared.access_token.attributes).toMatch(/Max-Age=0/);
    expect(cleared.refresh_token.value).toBe('');

    const after = await rest('GET', '/api/me', { cookie });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('UNAUTHENTICATED');
    const refresh = await rest('POST', '/api/auth/refresh', { cookie });
    expect(refresh.status).toBe(401);
  });

  it('refresh with the cookie rotates both cookies; the old refresh cookie then fails', async () => {
    const account = newAccount();
    await rest('POST', '/api/auth/register', { body: account });
    const login = await rest('POST', '/api/auth/login', { body: { usernameOrEmail: account.username, password: account.password } });
    const first = setCookies(login.headers).refresh_token.value;
    const refreshed = await rest('POST', '/api/auth/refresh', { cookie: `refresh_token=${first}` });
    expect(refreshed.status).toBe(200);
    const next = setCookies(refreshed.headers);
    expect(next.refresh_token.value).not.toBe(first);
    expect((await rest('GET', '/api/me', { cookie: `access_token=${next.access_token.value}` })).status).toBe(200);
    expect((await rest('POST', '/api/auth/refresh', { cookie: `refresh_token=${first}` })).status).toBe(401);
  });

  it('POST /api/auth/logout answers 200 (seed 001) for API clients with a Bearer token', async () => {
    const user = await registerAndLogin('restlogout');
    const res = await rest('POST', '/api/auth/logout', { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect((await rest('GET', '/api/me', { token: user.accessToken })).status).toBe(401);
  });
});

describe('REST: the account', () => {
  it('missing or bad credentials are 401 on every protected route', async () => {
    for (const path of ['/api/me', '/api/profile', '/api/logout']) {
      const none = await rest('GET', path);
      expect(none.status, path).toBe(401);
      expect(none.body).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect((await rest('GET', path, { token: 'not-a-jwt' })).status, path).toBe(401);
      expect((await rest('GET', path, { cookie: 'access_token=forged.token.value' })).status, path).toBe(401);
    }
  });

  it('GET /api/profile and PUT /api/profile answer seed 000 shapes', async () => {
    const user = await registerAndLogin('restprofile');
    const before = await rest('GET', '/api/profile', { token: user.accessToken });
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ id: user.id, firstName: null, lastName: null, displayName: null, pictureUrl: null, locale: 'ja-JP' });

    const put = await rest('PUT', '/api/profile', { token: user.accessToken, body: { firstName: 'John', lastName: 'Doe' } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      success: true,
      profile: { id: user.id, firstName: 'John', lastName: 'Doe', displayName: null, pictureUrl: null, locale: 'ja-JP' },
    });
    expect((await rest('GET', '/api/profile', { token: user.accessToken })).body.firstName).toBe('John');
  });

  it('a bad profile update is 400 naming the field and changes nothing', async () => {
    const user = await registerAndLogin('restprofilebad');
    const res = await rest('PUT', '/api/profile', {
      token: user.accessToken,
      body: { firstName: 'Jane', pictureUrl: 'javascript:alert(1)' },
    });
    expect(res.status).toBe(400);
    expect(res.body.details.validationErrors).toEqual([expect.objectContaining({ field: 'pictureUrl' })]);
    expect((await rest('GET', '/api/profile', { token: user.accessToken })).body.firstName).toBeNull();
  });

  it('GET /healthz answers ok', async () => {
    const res = await rest('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.text).toBe('ok');
  });

  it('an unknown route is a 404 in the REST error shape', async () => {
    const res = await rest('GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', requestId: expect.any(String) });
  });
});
