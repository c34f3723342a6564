/**
 * Issue #11 (part A): the admin bootstrap (ADMIN_USERNAME / ADMIN_PASSWORD) never promotes an
 * ordinary account. Anyone can register any free name, so an account that already has the
 * configured name may belong to a stranger: it is left alone and the start says so.
 *
 * Each test starts an extra auth replica on the shared database with its own ADMIN_* settings
 * (bootstrapAdmin runs at start), on the platform's bus: it is a replica like the others (its outbox
 * relay shares the auth schema's outbox, so it must publish where the platform's services listen),
 * then checks the outcome through the shared gateway.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { buildAuthService, loadAuthConfig } from '@app/auth';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loginAs, platformEnv, registerAndLogin, unique } from './support/client.js';
import { call, decode, expectError, expectRefused, ME, openDatabase, REFRESH } from './support/tokens.js';

const db = openDatabase();
afterAll(() => db.end());

/** Starts (and stops) an auth replica with these admin settings; returns what it logged about the admin at warn and above. */
async function startAuthWith(admin: { username: string; password: string }): Promise<{ msg: string }[]> {
  return (await startAuthLogging(admin)).filter((line) => /admin/i.test(line.msg));
}

async function startAuthLogging(admin: { username: string; password: string }): Promise<{ msg: string }[]> {
  const lines: { msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const env = { ...platformEnv(), ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password };
  const auth = await buildAuthService({
    config: loadAuthConfig(env),
    databaseUrl: inject('env').DATABASE_URL,
    logger: pino({ level: 'warn' }, sink),
  });
  await auth.close();
  return lines;
}

const scopesOf = (accessToken: string) => String(decode(accessToken).claims.scope).split(' ');
const password = () => `admin-${randomBytes(8).toString('hex')}-1`;

describe('admin bootstrap', () => {
  it('leaves an ordinary account of that name alone, and says so', async () => {
    const stranger = await registerAndLogin('squat');
    const logs = await startAuthWith({ username: stranger.username, password: password() });

    // Not promoted: the stranger's new tokens carry no admin scope, and the password is still theirs.
    const after = await loginAs(stranger.username, stranger.password);
    expect(scopesOf(after.accessToken)).toEqual(['user']);
    const { rows } = await db.query('SELECT scopes FROM auth.users WHERE id = $1', [stranger.id]);
    expect(rows[0].scopes).toBe('user');

    const warning = logs.find((line) => line.msg.includes('ADMIN_USERNAME'));
    expect(warning?.msg).toMatch(/NOT given the admin scope/);
  });

  it('the configured admin password does not sign in to the ordinary account', async () => {
    const stranger = await registerAndLogin('squat2');
    const adminPassword = password();
    await startAuthWith({ username: stranger.username, password: adminPassword });
    expectError(
      await call(`mutation($i: LoginInput!) { login(input: $i) { accessToken } }`, {
        i: { usernameOrEmail: stranger.username, password: adminPassword },
      }),
      'UNAUTHENTICATED',
    );
  });

  it('creates the admin when the name is free, and keeps it across starts', async () => {
    const admin = { username: unique('adm').slice(0, 32), password: password() };
    expect(await startAuthWith(admin)).toEqual([]);
    const first = await loginAs(admin.username, admin.password);
    expect(scopesOf(first.accessToken)).toEqual(['user', 'admin']);

    // Another start with the same settings changes nothing: the session stays.
    expect(await startAuthWith(admin)).toEqual([]);
    expect((await call(ME, {}, { token: first.accessToken })).body.data).toEqual({ me: { id: first.user.id } });
    expect(scopesOf((await loginAs(admin.username, admin.password)).accessToken)).toEqual(['user', 'admin']);
  });

  it('a changed ADMIN_PASSWORD becomes the admin password and ends the sessions opened with the old one', async () => {
    const admin = { username: unique('adm').slice(0, 32), password: password() };
    await startAuthWith(admin);
    const before = await loginAs(admin.username, admin.password);

    const changed = { ...admin, password: password() };
    const logs = await startAuthWith(changed);
    expect(logs.map((line) => line.msg)).toContain('the admin password was set to ADMIN_PASSWORD; its earlier sessions were ended');

    expectRefused(await call(ME, {}, { token: before.accessToken }));
    expectError(await call(REFRESH, { token: before.refreshToken }), 'UNAUTHENTICATED');
    expectError(
      await call(`mutation($i: LoginInput!) { login(input: $i) { accessToken } }`, {
        i: { usernameOrEmail: admin.username, password: admin.password },
      }),
      'UNAUTHENTICATED',
    );
    expect(scopesOf((await loginAs(changed.username, changed.password)).accessToken)).toEqual(['user', 'admin']);
  });
});
