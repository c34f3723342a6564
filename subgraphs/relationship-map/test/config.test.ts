/**
 * The relationship-map's configuration: the Facebook token key is checked at start, and a
 * production deployment with Facebook configured refuses to start without one.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError } from '@app/platform';
import { describe, expect, it } from 'vitest';
import { runEntryPoint } from '../../../tests/support/run-entry-point.js';
import { loadRelationshipMapConfig } from '../src/config.js';

const GRAPH = { FACEBOOK_GRAPH_URL: 'http://127.0.0.1:9/graph' };
const problemsOf = (env: Record<string, string>) => {
  try {
    loadRelationshipMapConfig(env);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => p.variable);
  }
};

describe('relationship-map configuration', () => {
  it('production with Facebook configured needs FACEBOOK_TOKEN_KEY', () => {
    expect(problemsOf({ NODE_ENV: 'production', ...GRAPH })).toEqual(['FACEBOOK_TOKEN_KEY']);
    expect(problemsOf({ NODE_ENV: 'production', ...GRAPH, FACEBOOK_TOKEN_KEY: randomBytes(32).toString('base64') })).toEqual([]);
    // Without Facebook no token is ever stored, so nothing needs the key.
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'development', ...GRAPH })).toEqual([]);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['not base64', 'this is not a key!'],
  ])('a key that is %s is refused, without repeating it', (_name, key) => {
    try {
      loadRelationshipMapConfig({ FACEBOOK_TOKEN_KEY: key });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.variable)).toEqual(['FACEBOOK_TOKEN_KEY']);
      expect((err as Error).message).not.toContain(key);
    }
  });

  it('the service started alone in production without the key exits at once, naming the variable', async () => {
    const result = await runEntryPoint('subgraphs/relationship-map/src/index.ts', {
      NODE_ENV: 'production',
      ...GRAPH,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      LOG_LEVEL: 'silent',
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain('FACEBOOK_TOKEN_KEY');
  }, 90_000);
});
