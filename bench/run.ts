/**
 * `npm run bench`: figures and ratios, never pass/fail. Uses the real Postgres, Redis and NATS
 * on their standard local ports (override with DATABASE_URL / REDIS_URL / NATS_URL), or the
 * embedded mode with BENCH_EMBEDDED=1. BENCH_SECONDS sets each measurement's length (default 5).
 */
import { randomBytes } from 'node:crypto';
import { benchMe } from './me.js';
import { benchRestFacade } from './rest-facade.js';
import { benchTokenVerification } from './token-verification.js';
import { startPlatformProcess } from './lib.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const env =
  process.env.BENCH_EMBEDDED === '1'
    ? { DATABASE_URL: '', REDIS_URL: '', NATS_URL: '' }
    : {
        DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
        NATS_NAMESPACE: `bench${randomBytes(4).toString('hex')}`,
      };

console.log(`# Benchmarks (${seconds}s per measurement, node ${process.version}, ${env.DATABASE_URL ? 'real Postgres/Redis/NATS' : 'embedded'})`);
await benchTokenVerification({ redisUrl: env.REDIS_URL || undefined });
const platform = await startPlatformProcess(env);
try {
  await benchMe(platform, seconds);
  await benchRestFacade(platform, seconds);
} finally {
  await platform.stop();
  if (env.NATS_NAMESPACE) {
    const { NatsEventBus } = await import('@app/events');
    const bus = await NatsEventBus.connect({ url: env.NATS_URL!, namespace: env.NATS_NAMESPACE });
    await bus.deleteNamespaceStreams();
    await bus.close();
  }
}
