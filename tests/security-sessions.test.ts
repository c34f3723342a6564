/**
 * Issue #11 (part A): logout and refresh-token reuse end the whole login session, and a
 * revocation check that cannot be made answers SERVICE_UNAVAILABLE, never UNAUTHENTICATED.
 *
 * A session is one refresh-token family; every access token issued in it carries its id as
 * `sid`. Ending it must refuse every one of those tokens at the gateway and at every subgraph,
 * not only the token that was presented: an access token issued before a refresh (T1) lives 15
 * minutes and would otherwise keep working after the user logged out with the newer one (T2).
 */

import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { type Cache, RedisCache, TokenVerifier } from '@app/platform';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loginAs, platformEnv, registerAndLogin, type TestUser } from './support/client.js';
import { freePort } from './support/ports.js';
import { call, decode, expectError, expectRefused, LOGOUT, ME, mint, openDatabase, REFRESH, signingKey } from './support/tokens.js';

const db = openDatabase();
afterAll(() => db.end());

const me = (token: string) => call(ME, {}, { token });
const refresh = (token: string) => call(REFRESH, { token });
const logout = (token: string, refreshToken?: string) => call(LOGOUT, { refreshToken }, { token });
/** `me` asked of a subgraph directly, past the gateway: it verifies the token itself. */
const meAt = (service: 'users' | 'auth', token: string) =>
  call(service === 'users' ? ME : `{ __typename }`, {}, { token, url: `${inject('urls')[service]}/graphql` });

type Pair = { accessToken: string; refreshToken: string };

/** A fresh login (T1/R1) and one refresh of it (T2/R2): two access tokens of one session. */
async function sessionWithTwoAccessTokens(prefix: string): Promise<{ user: TestUser; t1: string; r1: string; t2: string; r2: string }> {
  const user = await registerAndLogin(prefix);
  const rotated = (await refresh(user.refreshToken)).body.data!.refreshToken as Pair;
  expect(decode(rotated.accessToken).claims.sid).toBe(decode(user.accessToken).claims.sid);
  // Both work, at the gateway and at a subgraph (and are now remembered by their verifiers).
  for (const token of [user.accessToken, rotated.accessToken]) {
    expect((await me(token)).body.data).toEqual({ me: { id: user.id } });
    expect((await meAt('users', token)).body.errors).toBeUndefined();
  }
  return { user, t1: user.accessToken, r1: user.refreshToken, t2: rotated.accessToken, r2: rotated.refreshToken };
}

describe('logout ends the whole session', () => {
  it('an access token issued before a refresh (T1) is refused once the user logs out with the newer one (T2)', async () => {
    const { user, t1, t2, r2 } = await sessionWithTwoAccessTokens('sess');
    expect((await logout(t2)).body).toEqual({ data: { logout: true } });

    for (const token of [t1, t2]) {
      expectRefused(await me(token));
      // Each subgraph checks too: reached directly, it refuses the session's tokens as well.
      const direct = await meAt('users', token);
      expectError(direct, 'UNAUTHENTICATED');
      expect(direct.status).toBe(401);
      expect((await meAt('auth', token)).status).toBe(401);
    }
    expectError(await refresh(r2), 'UNAUTHENTICATED');
    // The user's next login is a new session and works.
    const again = await loginAs(user.username, user.password);
    expect((await me(again.accessToken)).body.data).toEqual({ me: { id: user.id } });
  });

  it("logging out of one session leaves the same user's other sessions working", async () => {
    const { user, t1, t2 } = await sessionWithTwoAccessTokens('sess2');
    const other = await loginAs(user.username, user.password);
    await logout(t1);
    expectRefused(await me(t2));
    expect((await me(other.accessToken)).body.data).toEqual({ me: { id: user.id } });
    expect((await refresh(other.refreshToken)).body.errors).toBeUndefined();
  });

  it("a refresh token passed to logout ends its session too, when it is the same user's", async () => {
    const user = await registerAndLogin('sess3');
    const second = await loginAs(user.username, user.password);
    await logout(user.accessToken, second.refreshToken);
    expectRefused(await me(second.accessToken));
    expectError(await refresh(second.refreshToken), 'UNAUTHENTICATED');
  });
});

describe('refresh-token reuse ends the whole session', () => {
  it("the family's access tokens are refused, not only its refresh tokens", async () => {
    const { t1, r1, t2, r2 } = await sessionWithTwoAccessTokens('reuse');
    // R1 was used up by the refresh: presenting it again means it was stolen.
    expectError(await refresh(r1), 'UNAUTHENTICATED');

    for (const token of [t1, t2]) {
      expectRefused(await me(token));
      expectError(await meAt('users', token), 'UNAUTHENTICATED');
    }
    expectError(await refresh(r2), 'UNAUTHENTICATED');
  });
});

describe('tokens without a session', () => {
  it('a genuine token with no sid claim is still accepted (only the other revocation checks apply)', async () => {
    const user = await registerAndLogin('nosid');
    const { header, claims } = decode(user.accessToken);
    const { sid: _sid, ...withoutSid } = claims as JWTPayload & { sid?: string };
    const token = await mint(
      { ...withoutSid, jti: randomUUID() },
      { alg: 'ES256', kid: header.kid!, typ: 'at+jwt' },
      await signingKey(db, header.kid!),
    );
    expect((await me(token)).body.data).toEqual({ me: { id: user.id } });
  });
});

// ---------- the revocation check cannot be made ----------

/** A "Redis" that accepts connections and never answers: a hung server, or a network partition. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const verifierOver = (cache: RedisCache, cacheTimeoutMs?: number) =>
  new TokenVerifier({
    jwksUrl: `${inject('urls').auth}/.well-known/jwks.json`,
    issuer: platformEnv().JWT_ISSUER ?? 'http://localhost:4001',
    audience: platformEnv().JWT_AUDIENCE ?? 'federated-platform',
    cache,
    cacheTimeoutMs,
  });

describe('the revocation check cannot be made: SERVICE_UNAVAILABLE, not UNAUTHENTICATED', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await registerAndLogin('down');
  });

  it('a verifier whose Redis refuses connections answers SERVICE_UNAVAILABLE for a valid token', async () => {
    const cache = RedisCache.connect(`redis://127.0.0.1:${await freePort()}`);
    try {
      const error = await verifierOver(cache)
        .verify(user.accessToken)
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503 });
    } finally {
      await cache.close();
    }
  });

  it('a Redis that never answers is given up on after the time limit', async () => {
    const silent = await silentServer();
    const cache = RedisCache.connect(`redis://127.0.0.1:${silent.port}`);
    try {
      const started = Date.now();
      const error = await verifierOver(cache, 300)
        .verify(user.accessToken)
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      cache.redis.disconnect();
      await silent.close();
    }
  });

  describe('a gateway whose Redis is down', () => {
    let gateway: GatewayService;
    let url: string;
    beforeAll(async () => {
      // Every cache call fails as a refused connection does, at once: what the gateway makes of
      // the failure is tested here, not the Redis client's reconnection back-off (above).
      const down = new Proxy({} as Cache, {
        get: (_, method) =>
          method === 'close'
            ? async () => {}
            : method === 'then'
              ? undefined
              : async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })),
      });
      gateway = await buildGateway({ config: loadGatewayConfig(platformEnv()), infrastructure: { cache: down } });
      url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}/graphql`;
    });
    afterAll(() => gateway?.close());

    it('answers a valid token with HTTP 503 SERVICE_UNAVAILABLE, so the client keeps its session', async () => {
      const res = await call(ME, {}, { token: user.accessToken, url });
      expectError(res, 'SERVICE_UNAVAILABLE');
      expect(res.status).toBe(503);
    });

    it('still refuses a forged token with 401 (the signature is checked before the cache)', async () => {
      const [h, p] = user.accessToken.split('.');
      const res = await call(ME, {}, { token: `${h}.${p}.${'A'.repeat(86)}`, url });
      expectRefused(res);
    });
  });
});
