/**
 * Issue #11 (part A): the private signing keys are encrypted at rest (AES-256-GCM) with
 * SIGNING_KEY_ENCRYPTION_KEY, which production requires; keys stored in plain by an earlier
 * version are encrypted at the next start.
 *
 * Auth replicas here run on a Postgres schema of their own (dropped afterwards) and an
 * in-process bus, so their keys and accounts never mix with the shared platform's.
 */
import { randomBytes } from 'node:crypto';
import { type AuthService, buildAuthService, loadAuthConfig } from '@app/auth';
import { MemoryEventBus } from '@app/events';
import { ConfigError } from '@app/platform';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { gql, LOGIN, platformEnv, REGISTER, unique } from './support/client.js';
import { decode, openDatabase } from './support/tokens.js';

const db = openDatabase();
const schema = `auth_keys_${randomBytes(5).toString('hex')}`;
afterAll(async () => {
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
});

const newKey = () => randomBytes(32).toString('base64');

/** An auth replica on this file's schema; the caller closes it. */
async function startAuth(signingKeyEncryptionKey?: string): Promise<{ auth: AuthService; url: string; close(): Promise<void> }> {
  const bus = new MemoryEventBus();
  const env = {
    ...platformEnv(),
    DB_SCHEMA: schema,
    ADMIN_USERNAME: '',
    ADMIN_PASSWORD: '',
    SIGNING_KEY_ENCRYPTION_KEY: signingKeyEncryptionKey ?? '',
  };
  let auth: AuthService;
  try {
    auth = await buildAuthService({ config: loadAuthConfig(env), databaseUrl: inject('env').DATABASE_URL, infrastructure: { bus } });
  } catch (err) {
    await bus.close();
    throw err;
  }
  const url = `http://127.0.0.1:${await auth.listen(0, '127.0.0.1')}`;
  return { auth, url, close: async () => (await auth.close(), await bus.close()) };
}

const storedKeys = async () =>
  (
    await db.query<{ kid: string; private_jwk: Record<string, unknown>; retired_at: Date | null }>(
      `SELECT kid, private_jwk, retired_at FROM "${schema}".signing_keys ORDER BY created_at`,
    )
  ).rows;

/** Registers and logs in on that replica; the token must verify against that replica's JWKS. */
async function signInAt(url: string): Promise<string> {
  const username = unique('keys');
  const password = `pw-${randomBytes(6).toString('hex')}-9`;
  const reg = await gql(REGISTER, { input: { username, email: `${username}@example.com`, password } }, { url: `${url}/graphql` });
  expect(reg.body.errors, JSON.stringify(reg.body)).toBeUndefined();
  const res = await gql(LOGIN, { input: { usernameOrEmail: username, password } }, { url: `${url}/graphql` });
  expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
  const token = res.body.data!.login.accessToken as string;
  const jwks = await (await fetch(`${url}/.well-known/jwks.json`)).json();
  await expect(jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['ES256'] })).resolves.toBeDefined();
  return token;
}

describe('signing keys at rest', () => {
  const key = newKey();
  let plainKid: string;

  it('without SIGNING_KEY_ENCRYPTION_KEY (outside production) the key is stored as today: a plain JWK', async () => {
    const replica = await startAuth();
    try {
      plainKid = decode(await signInAt(replica.url)).header.kid!;
    } finally {
      await replica.close();
    }
    const [row] = await storedKeys();
    expect(row.kid).toBe(plainKid);
    expect(row.private_jwk).toHaveProperty('d');
  });

  it('the next start with the key encrypts the plain rows, and signing goes on with the same key', async () => {
    const replica = await startAuth(key);
    try {
      expect(decode(await signInAt(replica.url)).header.kid).toBe(plainKid);
    } finally {
      await replica.close();
    }
    const [row] = await storedKeys();
    expect(row.private_jwk).not.toHaveProperty('d');
    expect(row.private_jwk).toMatchObject({
      enc: 'A256GCM',
      iv: expect.any(String),
      tag: expect.any(String),
      ciphertext: expect.any(String),
    });
    expect(JSON.stringify(row.private_jwk)).not.toContain(key);
  });

  it('a key made while encryption is on (a rotation) is stored encrypted from the start', async () => {
    const replica = await startAuth(key);
    try {
      await (replica.auth.deps.keys as { rotate(): Promise<string> }).rotate();
      const kid = decode(await signInAt(replica.url)).header.kid;
      expect(kid).not.toBe(plainKid);
      const rows = await storedKeys();
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row.private_jwk).toMatchObject({ enc: 'A256GCM' });
    } finally {
      await replica.close();
    }
  });

  it('a start without the key, or with another one, is refused and names SIGNING_KEY_ENCRYPTION_KEY', async () => {
    await expect(startAuth()).rejects.toThrow(/SIGNING_KEY_ENCRYPTION_KEY/);
    await expect(startAuth(newKey())).rejects.toThrow(/SIGNING_KEY_ENCRYPTION_KEY/);
  });

  it('a ciphertext moved onto another key row does not decrypt', async () => {
    const [first, second] = await storedKeys();
    await db.query(`UPDATE "${schema}".signing_keys SET private_jwk = $2 WHERE kid = $1`, [second.kid, first.private_jwk]);
    await expect(startAuth(key)).rejects.toThrow(/does not decrypt/);
  });
});

describe('SIGNING_KEY_ENCRYPTION_KEY in the configuration', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadAuthConfig(env);
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems.map((p) => p.variable);
    }
  };

  it('is required in production', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual(['SIGNING_KEY_ENCRYPTION_KEY']);
    expect(problems({ NODE_ENV: 'production', SIGNING_KEY_ENCRYPTION_KEY: newKey() })).toEqual([]);
    expect(problems({ NODE_ENV: 'development' })).toEqual([]);
  });

  it.each([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['not base64', 'not a key!'],
  ])('must be 32 bytes of base64 (%s is refused, without echoing the value)', (_, value) => {
    try {
      loadAuthConfig({ SIGNING_KEY_ENCRYPTION_KEY: value });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.variable)).toEqual(['SIGNING_KEY_ENCRYPTION_KEY']);
      expect((err as Error).message).not.toContain(value);
    }
  });
});
