import { createServer } from 'node:http';
import { type EventBus, MemoryEventBus, NatsEventBus } from '@app/events';
import { type Cache, MemoryCache, RedisCache, RevocationList, TokenVerifier } from '@app/platform';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { printTable } from './lib.js';

/**
 * What verifying an access token costs per request: the ES256 signature alone, then the full
 * check (signature + claims + revocation) two ways: with the revocations pushed into memory
 * (RevocationList, the default: no cache call per request while it is current) and with the
 * per-request lookup of the markers in the cache (what the verifier falls back to while the list
 * is not current). With Redis (`redisUrl`) as the production setup; the in-process cache otherwise.
 * The push comes over NATS when `natsUrl` is given, over the in-process bus otherwise: a check
 * never touches the bus either way, only the list's background reads of the revision counter do.
 */
export async function benchTokenVerification({ redisUrl, natsUrl }: { redisUrl?: string; natsUrl?: string }) {
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
  const cache: Cache = redisUrl ? RedisCache.connect(redisUrl) : new MemoryCache();
  const bus: EventBus = natsUrl
    ? await NatsEventBus.connect({ url: natsUrl, namespace: `benchtok${crypto.randomUUID().slice(0, 8)}` })
    : new MemoryEventBus();
  const revocations = new RevocationList({ cache, bus });
  await revocations.start();
  const where = redisUrl ? 'Redis' : 'the in-process cache';
  const how = {
    lookup: `per-request lookup in ${where} (the fallback)`,
    pushed: `revocations in memory, pushed over ${natsUrl ? 'NATS' : 'the in-process bus'} (${where} the truth)`,
  };
  const verifiers = {
    lookup: new TokenVerifier({ jwksUrl, issuer: 'bench', audience: 'bench', cache }),
    pushed: new TokenVerifier({ jwksUrl, issuer: 'bench', audience: 'bench', cache, revocations }),
  };
  const current = () => {
    // A row labelled "in memory" must not have fallen back to the cache meanwhile.
    if (!revocations.isCurrent()) throw new Error('the revocation list was not current: the pushed rows would measure the fallback');
  };
  try {
    for (const mode of ['lookup', 'pushed'] as const) {
      const fresh = await Promise.all(Array.from({ length: 5_500 }, mint));
      let next = 0;
      current();
      rows.push(await measure(`full verify, first sight of each token, ${how[mode]}`, () => verifiers[mode].verify(fresh[next++])));
    }
    // The production setup last (bench/goals.ts reads the last "seen before" row).
    for (const mode of ['lookup', 'pushed'] as const) {
      current();
      rows.push(await measure(`full verify, token seen before, ${how[mode]}`, () => verifiers[mode].verify(token)));
      current();
    }
  } finally {
    await revocations.close();
    if (bus instanceof NatsEventBus) await bus.deleteNamespaceStreams().catch(() => {});
    await bus.close();
    await cache.close();
    server.close();
  }
  printTable('access token verification', rows);
  return rows;
}
