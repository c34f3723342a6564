/**
 * Configuration from the environment: a missing or bad variable stops the service with a
 * message naming the variable (never a stack trace from deep inside a driver).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runEntryPoint } from '../../tests/support/run-entry-point.js';
import { bool, ConfigError, commonEnv, loadConfig, port } from '../src/config.js';

const shape = { ...commonEnv, PORT: port(4000), SECRET: z.string().min(8), DEBUG: bool(false) };
const valid = { SECRET: 'a-long-secret' };

/** Runs loadConfig and returns the ConfigError it throws (fails the test when it does not throw). */
function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(shape, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('applies defaults and coerces values', () => {
    const config = loadConfig(shape, { ...valid, PORT: '8080', DEBUG: 'yes', DATABASE_URL: 'postgres://u@db:5432/x' });
    expect(config.PORT).toBe(8080);
    expect(config.DEBUG).toBe(true);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.NODE_ENV).toBe('development');
    expect(config.DATABASE_URL).toBe('postgres://u@db:5432/x');
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.DB_POOL_IDLE_TIMEOUT_MS).toBe(60_000);
  });

  it.each([
    ['DATABASE_URL', 'mysql://root@localhost/db'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['NATS_URL', 'localhost:4222'],
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['DEBUG', 'maybe'],
    ['AUTH_JWKS_URL', 'jwks.json'],
    ['NATS_NAMESPACE', 'has spaces'],
    ['DB_POOL_IDLE_TIMEOUT_MS', '500'],
    ['DB_POOL_IDLE_TIMEOUT_MS', 'soon'],
  ])('refuses %s=%s with a ConfigError naming the variable', (variable, value) => {
    const err = configErrorOf({ ...valid, [variable]: value });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.problems.map((p) => p.variable)).toEqual([variable]);
    expect(err.message).toContain(variable);
  });

  it('names a missing required variable', () => {
    const err = configErrorOf({});
    expect(err.problems.map((p) => p.variable)).toEqual(['SECRET']);
    expect(err.message).toMatch(/SECRET/);
  });

  it('reports every bad variable at once', () => {
    const err = configErrorOf({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'nope' });
    expect(err.problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'SECRET']);
    for (const variable of ['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'SECRET']) expect(err.message).toContain(variable);
  });

  it('treats an empty string as unset', () => {
    const config = loadConfig(shape, { ...valid, PORT: '', LOG_LEVEL: '', DATABASE_URL: '', DEBUG: '' });
    expect(config.PORT).toBe(4000);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.DEBUG).toBe(false);
    // ...including for a required variable: empty is missing.
    expect(configErrorOf({ SECRET: '' }).problems.map((p) => p.variable)).toEqual(['SECRET']);
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig(shape, { ...valid, PATH: '/bin', SOMETHING_ELSE: '!' })).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------

describe('a service started with a bad variable', () => {
  // Each start costs a few seconds of TypeScript loading: run them side by side.
  const cases: { name: string; entry: string; env: Record<string, string>; variable: string }[] = [
    { name: 'auth', entry: 'subgraphs/auth/src/index.ts', env: { PORT: 'notaport' }, variable: 'PORT' },
    { name: 'users', entry: 'subgraphs/users/src/index.ts', env: { LOG_LEVEL: 'loud' }, variable: 'LOG_LEVEL' },
    { name: 'gateway', entry: 'gateway/src/index.ts', env: { MAX_DEPTH: '0', PORT: '' }, variable: 'MAX_DEPTH' },
  ];
  it.concurrent.for(cases)(
    '$name exits non-zero with a message naming the variable',
    { timeout: 90_000 },
    async ({ entry, env, variable }, { expect }) => {
      const result = await runEntryPoint(entry, env);
      expect(result.signal, `the process did not exit by itself:\n${result.output}`).toBeNull();
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(variable);
      expect(result.output).toMatch(/Invalid configuration/);
      // A clean message, not a crash: no stack trace.
      expect(result.output).not.toMatch(/\n\s+at .+:\d+:\d+/);
    },
  );
});
