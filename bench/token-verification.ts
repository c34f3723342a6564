import { createServer } from 'node:http';
import { type Cache, MemoryCache, RedisCache, TokenVerifier } from '@app/platform';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { printTable } from './lib.js';

/**
 * What verifying an access token costs per request: the ES256 signature alone, and the full
 * check (signature + claims + blacklist lookup) with the in-memory cache and with Redis.
 */
export async function benchTokenVerification({ redisUrl }: { redisUrl?: string }) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = 'bench-key';
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(jwks)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
  const mint = () =>
    new SignJWT({ scope: 'user', sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer('bench')
      .setAudience('bench')
      .setSubject(crypto.randomUUID())
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(privateKey);
  const token = await mint();
  const fresh = await Promise.all(Array.from({ length: 5_500 }, mint));

  const measure = async (name: string, fn: () => Promise<unknown>, iterations = 5_000) => {
    for (let i = 0; i < 500; i++) await fn();
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    const micros = Number(process.hrtime.bigint() - start) / 1_000 / iterations;
    return { measurement: name, 'µs per request': Math.round(micros * 10) / 10 };
  };

  const keySet = createLocalJWKSet(jwks);
  const rows = [
    await measure('ES256 signature + claims (jose, JWKS in process)', () =>
      jwtVerify(token, keySet, { issuer: 'bench', audience: 'bench', algorithms: ['ES256'] }),
    ),
  ];
  const caches: [string, Cache][] = [['in-memory cache', new MemoryCache()]];
  if (redisUrl) caches.push(['Redis', RedisCache.connect(redisUrl)]);
  for (const [label, cache] of caches) {
    const verifier = new TokenVerifier({ jwksUrl, issuer: 'bench', audience: 'bench', cache });
    let next = 0;
    rows.push(await measure(`full verify, first sight of each token (blacklist in ${label})`, () => verifier.verify(fresh[next++])));
    rows.push(await measure(`full verify, token seen before (blacklist in ${label})`, () => verifier.verify(token)));
    await cache.close();
  }
  server.close();
  printTable('access token verification', rows);
  return rows;
}
