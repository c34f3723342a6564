/**
 * The revocations a TokenVerifier keeps in memory (RevocationList): filled by `revoke`'s broadcast
 * at once, loaded from the cache (the truth) at start and on the bus's return, and trusted only
 * while it is known to be complete; otherwise the verifier asks the cache per request. Run on the
 * real Redis (under a namespace of its own) and on the in-process cache and bus.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ConnectionListener, type EventBus, MemoryEventBus } from '@app/events';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NamespacedCache } from '../../tests/support/namespaced-cache.js';
import type { Cache } from '../src/cache/cache.js';
import { cacheKeys } from '../src/cache/cache-keys.js';
import { MemoryCache } from '../src/cache/memory-cache.js';
import { RevocationList, type RevocationListOptions } from '../src/security/revocation-list.js';
import { type Revocation, revoke } from '../src/security/revoke.js';
import { TokenVerifier } from '../src/security/token-verifier.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The list's default staleness bound: a revocation whose broadcast is lost is refused within it. */
const BOUND_MS = 1_000;
/** What a poll of the verifier may add to the bound on a busy machine (one cache round trip, a timer). */
const SLACK_MS = 250;

// ---------- a JWKS, tokens and a verifier of the test's own ----------

let jwksServer: Server;
let jwksUrl: string;
let privateKey: CryptoKey;
beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
  jwksServer = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(jwks)));
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks.json`;
});
afterAll(() => new Promise((resolve) => jwksServer.close(resolve)));

interface Token {
  token: string;
  jti: string;
  userId: string;
  sid: string;
}

async function mint(): Promise<Token> {
  const [jti, userId, sid] = [randomUUID(), randomUUID(), randomUUID()];
  const token = await new SignJWT({ sid })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer('test')
    .setAudience('test')
    .setSubject(userId)
    .setJti(jti)
    .setIssuedAt(Math.floor(Date.now() / 1000) - 1)
    .setExpirationTime('15m')
    .sign(privateKey);
  return { token, jti, userId, sid };
}

/** A cache that counts revocation lookups (and reads of the revision counter), and can be made unreachable. */
class WatchedCache {
  lookups = 0;
  revisionReads = 0;
  unreachable = false;
  readonly cache: Cache;
  constructor(inner: Cache) {
    this.cache = new Proxy(inner, {
      get: (target, prop, receiver) => {
        if (prop === 'mget') return (keys: string[]) => (this.lookups++, target.mget(keys));
        if (prop === 'get') return (key: string) => (key === cacheKeys.revocationRevision() && this.revisionReads++, target.get(key));
        if (prop === 'reachable') return () => !this.unreachable && target.reachable();
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}

/** A bus whose connection the test drops and brings back (the in-process bus never drops). */
class SwitchableBus {
  private connected = true;
  private readonly listeners = new Set<ConnectionListener>();
  readonly bus: EventBus;
  constructor(inner: EventBus) {
    this.bus = new Proxy(inner, {
      get: (target, prop, receiver) => {
        if (prop === 'isConnected') return () => this.connected && target.isConnected();
        if (prop === 'onConnectionChange')
          return (listener: ConnectionListener) => (this.listeners.add(listener), () => this.listeners.delete(listener));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
  set(connected: boolean) {
    this.connected = connected;
    for (const listener of this.listeners) listener(connected);
  }
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function startList(options: RevocationListOptions): Promise<RevocationList> {
  const list = new RevocationList(options);
  closers.push(() => list.close());
  await list.start();
  return list;
}

const verifierOver = (cache: Cache, revocations?: RevocationList) =>
  new TokenVerifier({ jwksUrl, issuer: 'test', audience: 'test', cache, revocations });

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (err: { code?: string; message?: string }) => err,
  );

/** Polls `verify` until it refuses the token; how long that took, or a failure past `withinMs`. */
async function refusedWithin(verifier: TokenVerifier, token: string, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const error = await errorOf(verifier.verify(token));
    if (error) {
      expect(error).toMatchObject({ code: 'UNAUTHENTICATED' });
      return Date.now() - started;
    }
    if (Date.now() - started > withinMs) throw new Error(`still accepted ${withinMs} ms after the revocation`);
    await sleep(10);
  }
}

const session = (t: Token): Revocation => ({ kind: 'session', id: t.sid, revokedAt: Math.floor(Date.now() / 1000), ttlSeconds: 60 });

// ---------- the suite, on the real Redis and on the in-process cache ----------

const environments: [string, () => Cache][] = [
  ['Redis', () => NamespacedCache.connect(redisUrl, 'trevlist')],
  ['in-process cache', () => new MemoryCache()],
];

describe.each(environments)('RevocationList on the %s', (_name, createCache) => {
  function setUp() {
    const watched = new WatchedCache(createCache());
    const bus = new MemoryEventBus();
    closers.push(
      () => watched.cache.close(),
      () => bus.close(),
    );
    return { watched, cache: watched.cache, bus };
  }

  it('a broadcast revocation is refused from memory at once, with no cache lookup per request', async () => {
    const { watched, cache, bus } = setUp();
    const list = await startList({ cache, bus });
    const verifier = verifierOver(cache, list);
    const [kept, loggedOut, ended, erased] = await Promise.all([mint(), mint(), mint(), mint()]);
    for (const t of [kept, loggedOut, ended, erased]) await verifier.verify(t.token);
    expect(list.isCurrent()).toBe(true);

    const now = Math.floor(Date.now() / 1000);
    await revoke({ cache, bus }, { kind: 'token', id: loggedOut.jti, revokedAt: now, ttlSeconds: 60 });
    await revoke({ cache, bus }, session(ended));
    await revoke({ cache, bus }, { kind: 'user', id: erased.userId, revokedAt: now, ttlSeconds: 60 });

    expect(await errorOf(verifier.verify(loggedOut.token))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'Token has been revoked' });
    expect(await errorOf(verifier.verify(ended.token))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The session has ended' });
    expect(await errorOf(verifier.verify(erased.token))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'Token has been revoked' });
    expect((await verifier.verify(kept.token)).userId).toBe(kept.userId);
    expect(watched.lookups).toBe(0);
  });

  it('a list started after the revocations loads them from the cache', async () => {
    const { watched, cache, bus } = setUp();
    const [loggedOut, ended, erased] = await Promise.all([mint(), mint(), mint()]);
    const now = Math.floor(Date.now() / 1000);
    await revoke({ cache, bus }, { kind: 'token', id: loggedOut.jti, revokedAt: now, ttlSeconds: 60 });
    await revoke({ cache, bus }, session(ended));
    await revoke({ cache, bus }, { kind: 'user', id: erased.userId, revokedAt: now, ttlSeconds: 60 });

    const list = await startList({ cache, bus });
    expect(list.isCurrent()).toBe(true);
    const verifier = verifierOver(cache, list);
    for (const t of [loggedOut, ended, erased]) expect(await errorOf(verifier.verify(t.token))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(watched.lookups).toBe(0);
  });

  it(`a revocation whose broadcast is lost is refused within the bound (${BOUND_MS} ms), then from memory again`, async () => {
    const { watched, cache, bus } = setUp();
    const list = await startList({ cache, bus });
    const verifier = verifierOver(cache, list);
    const t = await mint();
    await verifier.verify(t.token);

    // Written and counted like any revocation, but broadcast where no one of this list listens.
    const elsewhere = new MemoryEventBus();
    closers.push(() => elsewhere.close());
    await revoke({ cache, bus: elsewhere }, session(t));
    const took = await refusedWithin(verifier, t.token, BOUND_MS + SLACK_MS);
    expect(took).toBeLessThanOrEqual(BOUND_MS + SLACK_MS);

    // The missing revision brings a reload: memory is complete, and trusted, again.
    await vitestEventually(() => list.isCurrent(), 10_000);
    const before = watched.lookups;
    expect(await errorOf(verifier.verify(t.token))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(watched.lookups).toBe(before);
  });

  it('checked late (a busy event loop), memory is confirmed by one read for all the requests waiting, not a lookup each; a revision missing still sends them to the cache', async () => {
    const { watched, cache, bus } = setUp();
    // The timer never comes round: only a request can confirm memory.
    const list = await startList({ cache, bus, checkIntervalMs: 3_600_000, maxStalenessMs: 100 });
    const verifier = verifierOver(cache, list);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => mint()));
    for (const t of tokens) await verifier.verify(t.token);
    await sleep(150);
    expect(list.isCurrent()).toBe(false);

    const reads = watched.revisionReads;
    const lookups = watched.lookups;
    await Promise.all(tokens.map((t) => verifier.verify(t.token)));
    expect(watched.revisionReads - reads).toBe(1);
    expect(watched.lookups).toBe(lookups);
    expect(list.isCurrent()).toBe(true);

    // Stale again, and a revocation counted whose broadcast this list never hears: the read finds
    // the revision missing, so memory is not trusted and the cache refuses the token.
    await sleep(150);
    const elsewhere = new MemoryEventBus();
    closers.push(() => elsewhere.close());
    await revoke({ cache, bus: elsewhere }, session(tokens[0]!));
    expect(await errorOf(verifier.verify(tokens[0]!.token))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'The session has ended' });
    expect(watched.lookups).toBe(lookups + 1);
  });

  it('while the bus is away memory is not trusted: the cache answers, and the return reloads', async () => {
    const { watched, cache, bus } = setUp();
    const switchable = new SwitchableBus(bus);
    const list = await startList({ cache, bus: switchable.bus });
    const verifier = verifierOver(cache, list);
    const t = await mint();
    await verifier.verify(t.token);

    switchable.set(false);
    expect(list.isCurrent()).toBe(false);
    // Revoked while this process hears nothing: refused at once all the same, by the cache.
    const elsewhere = new MemoryEventBus();
    closers.push(() => elsewhere.close());
    await revoke({ cache, bus: elsewhere }, session(t));
    const before = watched.lookups;
    expect(await errorOf(verifier.verify(t.token))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(watched.lookups).toBe(before + 1);

    switchable.set(true);
    await vitestEventually(() => list.isCurrent(), 10_000);
    expect(list.refusal({ jti: t.jti, userId: t.userId, sessionId: t.sid, issuedAt: 0 })).toBe('session-ended');
  });

  it('while the cache is unreachable memory is not trusted: the verifier asks the cache (503 when it cannot)', async () => {
    const { watched, cache, bus } = setUp();
    const list = await startList({ cache, bus });
    const verifier = verifierOver(cache, list);
    const t = await mint();
    await verifier.verify(t.token);
    watched.unreachable = true;
    expect(list.isCurrent()).toBe(false);
    const before = watched.lookups;
    await verifier.verify(t.token);
    expect(watched.lookups).toBe(before + 1);
  });

  it('an entry lasts as long as its marker', async () => {
    const { cache, bus } = setUp();
    const list = await startList({ cache, bus });
    const t = await mint();
    await revoke({ cache, bus }, { kind: 'token', id: t.jti, revokedAt: 0, ttlSeconds: 0.2 });
    const claims = { jti: t.jti, userId: t.userId, issuedAt: 0 };
    expect(list.refusal(claims)).toBe('revoked');
    await sleep(300);
    expect(list.refusal(claims)).toBeNull();
  });

  it("a user's revocation refuses the tokens issued up to it, not later ones", async () => {
    const { cache, bus } = setUp();
    const list = await startList({ cache, bus });
    const userId = randomUUID();
    await revoke({ cache, bus }, { kind: 'user', id: userId, revokedAt: 1_000, ttlSeconds: 60 });
    expect(list.refusal({ jti: 'a', userId, issuedAt: 1_000 })).toBe('revoked');
    expect(list.refusal({ jti: 'b', userId, issuedAt: 1_001 })).toBeNull();
  });
});

describe('RevocationList without a cache to load from', () => {
  it('is never current, so every check goes to the cache (and answers SERVICE_UNAVAILABLE)', async () => {
    const failing = new Proxy({} as Cache, {
      get: (_, prop) =>
        prop === 'then' ? undefined : prop === 'reachable' ? () => true : async () => Promise.reject(new Error('ECONNREFUSED (test)')),
    });
    const bus = new MemoryEventBus();
    closers.push(() => bus.close());
    const list = await startList({ cache: failing, bus });
    expect(list.isCurrent()).toBe(false);
    const t = await mint();
    expect(await errorOf(verifierOver(failing, list).verify(t.token))).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});

async function vitestEventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}
