/**
 * Access-token checks at the gateway: every forged, tampered or malformed token is refused with
 * UNAUTHENTICATED and HTTP 401, the `access_token` cookie is honoured, and signing keys rotate
 * without invalidating tokens already issued.
 *
 * Tests that need a token with a valid signature but one bad claim sign it with the real private
 * key, read from `auth.signing_keys` (see `signingKey` in support/tokens.ts): no public surface
 * exposes it. A control test proves a token minted that way with correct claims is accepted, so
 * every refusal below is down to the one defect that test introduces.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportSPKI, generateKeyPair, importJWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAdmin, loginAs, registerAndLogin, type TestUser } from './support/client.js';
import {
  call,
  decode,
  expectError,
  expectRefused,
  fetchJwks,
  ME,
  mint,
  now,
  openDatabase,
  ROTATE,
  signingKey,
  unsignedToken,
} from './support/tokens.js';

const db = openDatabase();
afterAll(() => db.end());

const me = (token: string) => call(ME, {}, { token });

describe('forged and invalid access tokens', () => {
  let user: TestUser;
  let kid: string;
  let claims: JWTPayload;
  let realKey: CryptoKey;
  /** Claims of a genuine token for `user`, with a fresh jti, then `changes` applied (undefined deletes). */
  const claimsWith = (changes: JWTPayload = {}): JWTPayload => {
    const out: JWTPayload = { ...claims, jti: randomUUID(), ...changes };
    for (const [name, value] of Object.entries(out)) if (value === undefined) delete out[name];
    return out;
  };
  const header = () => ({ alg: 'ES256', kid, typ: 'at+jwt' });

  beforeAll(async () => {
    user = await registerAndLogin('tok');
    ({ claims } = decode(user.accessToken));
    kid = decode(user.accessToken).header.kid!;
    realKey = await signingKey(db, kid);
  });

  it('control: a token minted with the real key and genuine claims is accepted', async () => {
    const res = await me(await mint(claimsWith(), header(), realKey));
    expect(res.body).toEqual({ data: { me: { id: user.id } } });
  });

  it('refuses a token signed by another ES256 key under a real kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    expectRefused(await me(await mint(claimsWith(), header(), privateKey)));
  });

  it('refuses a token with a kid the auth service never issued', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    expectRefused(await me(await mint(claimsWith(), { ...header(), kid: randomUUID() }, privateKey)));
  });

  it('refuses a genuine token whose signature was tampered with', async () => {
    const [h, p, s] = user.accessToken.split('.');
    const flipped = `${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    expectRefused(await me(`${h}.${p}.${flipped}`));
  });

  it('refuses a genuine signature over changed claims', async () => {
    const [h, , s] = user.accessToken.split('.');
    const payload = Buffer.from(JSON.stringify({ ...claims, scope: 'user admin' })).toString('base64url');
    expectRefused(await me(`${h}.${payload}.${s}`));
  });

  it('refuses alg: none', async () => {
    expectRefused(await me(unsignedToken({ kid, typ: 'at+jwt' }, claimsWith())));
    expectRefused(await me(unsignedToken({ kid, typ: 'at+jwt' }, claimsWith()).slice(0, -1))); // no trailing dot
  });

  it('refuses HS256 signed with the public key as the secret (key confusion)', async () => {
    const publicJwk = (await fetchJwks()).keys.find((k) => k.kid === kid)!;
    expect(publicJwk).toBeDefined();
    const pem = await exportSPKI((await importJWK(publicJwk, 'ES256', { extractable: true })) as CryptoKey);
    const secrets = [JSON.stringify(publicJwk), pem, publicJwk.x!];
    for (const secret of secrets) {
      expectRefused(await me(await mint(claimsWith(), { alg: 'HS256', kid, typ: 'at+jwt' }, new TextEncoder().encode(secret))));
    }
  });

  it.each<[string, () => JWTPayload]>([
    ['has expired', () => ({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 })],
    ['is not valid before an hour from now (nbf)', () => ({ nbf: now() + 3600 })],
    ['is for another audience', () => ({ aud: 'some-other-api' })],
    ['comes from another issuer', () => ({ iss: 'https://evil.example.com' })],
    ['has no exp', () => ({ exp: undefined })],
    ['has no sub', () => ({ sub: undefined })],
    ['has no jti', () => ({ jti: undefined })],
  ])('refuses a token, correctly signed with the real key, that %s', async (_, changes) => {
    expectRefused(await me(await mint(claimsWith(changes()), header(), realKey)));
  });

  it('refuses a correctly signed token with an unexpected algorithm header (ES384)', async () => {
    const { privateKey } = await generateKeyPair('ES384');
    expectRefused(await me(await mint(claimsWith(), { alg: 'ES384', kid, typ: 'at+jwt' }, privateKey)));
  });

  it.each([['Bearer'], ['Bearer '], ['Basic dXNlcjpwYXNz'], ['garbage'], ['Bearer garbage'], ['Bearer a.b.c'], ['Bearer one two']])(
    'refuses the Authorization header %j',
    async (authorization) => {
      expectRefused(await call(ME, {}, { headers: { authorization } }));
    },
  );

  it('refuses a genuine token sent under another scheme', async () => {
    expectRefused(await call(ME, {}, { headers: { authorization: `Token ${user.accessToken}` } }));
  });

  it('accepts a valid token from the access_token cookie and refuses a forged one', async () => {
    const ok = await call(ME, {}, { headers: { cookie: `theme=dark; access_token=${user.accessToken}` } });
    expect(ok.body).toEqual({ data: { me: { id: user.id } } });

    const { privateKey } = await generateKeyPair('ES256');
    const forged = await mint(claimsWith(), header(), privateKey);
    expectRefused(await call(ME, {}, { headers: { cookie: `access_token=${forged}` } }));
    expectRefused(await call(ME, {}, { headers: { cookie: `access_token=${unsignedToken({ kid }, claimsWith())}` } }));
  });
});

describe('signing key rotation', () => {
  it('the JWKS publishes public keys only', async () => {
    const { keys } = await fetchJwks();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: expect.any(String) });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('a non-admin may not rotate the key', async () => {
    const user = await registerAndLogin('rotnot');
    expectError(await call(ROTATE, {}, { token: user.accessToken }), 'FORBIDDEN');
    expectError(await call(ROTATE, {}), 'UNAUTHENTICATED');
  });

  it('rotation signs new tokens with the new key while tokens signed before stay valid', async () => {
    const before = await registerAndLogin('rot');
    const oldKid = decode(before.accessToken).header.kid!;
    const admin = await loginAdmin();

    const rotated = await call(ROTATE, {}, { token: admin.accessToken });
    expect(rotated.body.errors).toBeUndefined();
    const newKid: string = rotated.body.data!.rotateSigningKey;
    expect(newKid).toEqual(expect.any(String));
    expect(newKid).not.toBe(oldKid);

    // Tokens signed with the previous key keep working (the admin's, too).
    expect((await me(before.accessToken)).body).toEqual({ data: { me: { id: before.id } } });
    expect((await me(admin.accessToken)).body.errors).toBeUndefined();

    // A new login is signed with the new key, and the gateway accepts it.
    const after = await loginAs(before.username, before.password);
    expect(decode(after.accessToken).header.kid).toBe(newKid);
    expect((await me(after.accessToken)).body).toEqual({ data: { me: { id: before.id } } });

    // The JWKS serves both keys.
    const kids = (await fetchJwks()).keys.map((k) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
  });
});
