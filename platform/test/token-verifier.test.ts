import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryCache, TokenVerifier } from '../src/index.js';

const closers: (() => unknown)[] = [];
afterAll(() => {
  for (const close of closers) close();
});

async function signingKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const sign = () =>
    new SignJWT({ scope: 'user', sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer('test')
      .setAudience('test')
      .setSubject(crypto.randomUUID())
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  return { jwk, sign };
}

describe('TokenVerifier key discovery', () => {
  it('requests that meet a new key while its JWKS is being fetched wait for that fetch', async () => {
    const [first, second] = await Promise.all([signingKey('k1'), signingKey('k2')]);
    let keys = [first.jwk];
    const server = createServer((_req, res) => {
      // Slow enough that the concurrent requests arrive while it is in flight.
      setTimeout(() => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys })), 200);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const verifier = new TokenVerifier({
      jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
      issuer: 'test',
      audience: 'test',
      cache: new MemoryCache(),
      refetchIntervalMs: 1_000,
    });
    await verifier.verify(await first.sign());
    // The signer rotates; once the refetch interval has passed, many requests carry the new key at once.
    keys = [first.jwk, second.jwk];
    await new Promise((r) => setTimeout(r, 1_100));
    const tokens = await Promise.all(Array.from({ length: 5 }, () => second.sign()));
    const results = await Promise.allSettled(tokens.map((token) => verifier.verify(token)));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('fulfilled'));
  });
});
