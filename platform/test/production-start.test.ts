/**
 * In production a process must share its cache and event bus with the others: a service or a
 * gateway started alone without REDIS_URL or NATS_URL would keep logouts in a private in-memory
 * cache no other process sees. It refuses to start, naming the variables. `npm start` runs every
 * service in one process and may keep the in-memory ones, unless it uses a real database.
 */
import { describe, expect, it } from 'vitest';
import { startPlatform } from '../../scripts/platform.js';
import { runEntryPoint } from '../../tests/support/run-entry-point.js';
import { ConfigError } from '../src/config.js';

// Empty counts as unset; a database nobody listens on shows nothing is reached before the refusal.
const production = {
  NODE_ENV: 'production',
  REDIS_URL: '',
  NATS_URL: '',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
  PORT: '0',
  LOG_LEVEL: 'info',
};

describe('a production start without REDIS_URL or NATS_URL', () => {
  const cases = [
    { name: 'users', entry: 'subgraphs/users/src/index.ts', env: production, missing: ['REDIS_URL', 'NATS_URL'] },
    {
      name: 'workouts',
      entry: 'subgraphs/workouts/src/index.ts',
      env: { ...production, NATS_URL: 'nats://127.0.0.1:4222' },
      missing: ['REDIS_URL'],
    },
    {
      name: 'catalog',
      entry: 'subgraphs/catalog/src/index.ts',
      env: { ...production, REDIS_URL: 'redis://127.0.0.1:6379' },
      missing: ['NATS_URL'],
    },
    { name: 'gateway', entry: 'gateway/src/index.ts', env: production, missing: ['REDIS_URL', 'NATS_URL'] },
  ];
  it.concurrent.for(cases)('$name exits 1 naming $missing', { timeout: 90_000 }, async ({ entry, env, missing }, { expect }) => {
    const result = await runEntryPoint(entry, env);
    expect(result.signal, `the process did not exit by itself:\n${result.output}`).toBeNull();
    expect(result.code, result.output).toBe(1);
    for (const variable of missing) expect(result.output).toContain(variable);
    for (const variable of ['REDIS_URL', 'NATS_URL'].filter((v) => !missing.includes(v)))
      expect(result.output).not.toContain(`${variable}:`);
    expect(result.output).toMatch(/required in production/);
  });
});

describe('npm start (startPlatform) in production', () => {
  it('with a real database it needs REDIS_URL and NATS_URL too: another process could serve the same users', async () => {
    const err = await startPlatform({
      env: { NODE_ENV: 'production', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: '', NATS_URL: '' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable)).toEqual(['REDIS_URL', 'NATS_URL']);
  });
});
