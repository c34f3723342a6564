/**
 * The platform on a Redis with a memory bound and `noeviction`, as docker-compose.yml runs it
 * (here 8 MB, started by the test). An APQ flood must not fill it (anyone can register
 * documents); and if it is full anyway, signed-in requests are still served, revoked tokens stay
 * refused (revocation checks are reads), and a logout never claims a revocation it could not write.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_PORTS, type RunningPlatform, startPlatform } from '../scripts/platform.js';
import { errorCode, gql, unique } from './support/client.js';
import { testEnv } from './support/env.js';
import { startRedis, type TestRedis } from './support/redis-server.js';

const MAXMEMORY = 8 * 1024 * 1024;
let redis: TestRedis;
let raw: Redis;
let platform: RunningPlatform;
let url: string;

beforeAll(async () => {
  redis = await startRedis(['--maxmemory', String(MAXMEMORY), '--maxmemory-policy', 'noeviction']);
  raw = new Redis(redis.url);
  // Its own PGlite and in-process bus: nothing shared with the suite's platform but the code.
  platform = await startPlatform({
    env: { ...testEnv(), DATABASE_URL: '', NATS_URL: '', REDIS_URL: redis.url },
    ports: FREE_PORTS,
    dataDir: null,
  });
  url = platform.gatewayUrl;
}, 120_000);

afterAll(async () => {
  try {
    await platform?.close();
  } finally {
    raw?.disconnect();
    await redis?.stop();
  }
});

const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);

async function signUp() {
  const username = unique('full').slice(0, 30);
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const reg = await gql(
    'mutation($i: RegisterInput!) { register(input: $i) { id } }',
    { i: { username, email: `${username}@example.com`, password } },
    { url },
  );
  expect(reg.body.errors, JSON.stringify(reg.body.errors)).toBeUndefined();
  const login = await gql(
    'mutation($i: LoginInput!) { login(input: $i) { accessToken } }',
    { i: { usernameOrEmail: username, password } },
    { url },
  );
  expect(login.body.errors, JSON.stringify(login.body.errors)).toBeUndefined();
  return { id: reg.body.data!.register.id as string, token: login.body.data!.login.accessToken as string };
}

const me = (token: string) => gql('{ me { id } }', {}, { url, token });
const logout = (token: string) => gql('mutation { logout }', {}, { url, token });

describe('a platform on a Redis with maxmemory and noeviction', () => {
  it('an APQ flood of valid 16 KiB documents (more than Redis holds) leaves room: users still sign up, log in and out', {
    timeout: 120_000,
  }, async () => {
    const documents = Array.from({ length: 640 }, () => {
      const head = `# ${randomBytes(16).toString('hex')} `;
      return `${head}${'x'.repeat(16 * 1024 - head.length - 15)}\n{ __typename }`;
    });
    for (let i = 0; i < documents.length; i += 32) {
      const answers = await Promise.all(
        documents.slice(i, i + 32).map((query) =>
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              query,
              extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } },
            }),
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    }
    expect(await usedMemory()).toBeLessThan(MAXMEMORY * 0.6);

    const user = await signUp();
    expect((await me(user.token)).body.data).toEqual({ me: { id: user.id } });
    expect((await logout(user.token)).body.data).toEqual({ logout: true });
    expect(errorCode(await me(user.token))).toBe('UNAUTHENTICATED');
  });

  it('full anyway: signed-in requests are served, revoked tokens stay refused, and logout is never a silent no-op', {
    timeout: 60_000,
  }, async () => {
    const [active, loggedOut] = [await signUp(), await signUp()];
    expect((await logout(loggedOut.token)).body.data).toEqual({ logout: true });

    // Something else filled it: Redis now refuses every write, with a margin (see fillUp in platform/test/redis-full.test.ts).
    const chunk = 'x'.repeat(1024);
    for (let i = 0; ; i++) {
      if (i > 20_000) throw new Error('Redis never became full');
      if (
        await raw.set(`filler:${i}`, chunk).then(
          () => false,
          (err: Error) => /OOM/.test(err.message),
        )
      )
        break;
    }
    await raw.config('SET', 'maxmemory', String((await usedMemory()) - 256 * 1024));
    try {
      await expect(raw.set('probe', '1')).rejects.toThrow(/OOM/);

      const served = await me(active.token);
      expect(served.body, JSON.stringify(served.body)).toEqual({ data: { me: { id: active.id } } });
      expect(errorCode(await me(loggedOut.token))).toBe('UNAUTHENTICATED');

      // The blacklist write is refused: logout must say so (or, if it reports success, have revoked the token).
      const out = await logout(active.token);
      if (out.body.data?.logout === true) expect(errorCode(await me(active.token))).toBe('UNAUTHENTICATED');
      else expect(errorCode(out)).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await raw.config('SET', 'maxmemory', String(MAXMEMORY));
      let cursor = '0';
      do {
        const [next, keys] = await raw.scan(cursor, 'MATCH', 'filler:*', 'COUNT', 1000);
        if (keys.length) await raw.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    // With room again, the same logout goes through.
    expect((await logout(active.token)).body.data).toEqual({ logout: true });
    expect(errorCode(await me(active.token))).toBe('UNAUTHENTICATED');
  });
});
