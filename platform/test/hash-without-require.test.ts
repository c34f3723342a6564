import { createHash as nodeHash } from 'node:crypto';
import { createRequire, Module } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashWithoutRequire } from '../src/graphql/hash-without-require.js';

const require = createRequire(import.meta.url);
/** The copy of @apollo/utils.createhash a package loads (what Apollo Server and Gateway call per request). */
const createHashOf = (user: string) =>
  (createRequire(require.resolve(user))('@apollo/utils.createhash') as { createHash(kind: string): ReturnType<typeof nodeHash> })
    .createHash;

describe('hashWithoutRequire', () => {
  afterEach(() => vi.restoreAllMocks());

  it("patches Apollo Server's and Apollo Gateway's copies: the same digests, no require per hash", () => {
    expect(hashWithoutRequire(['@apollo/server', '@apollo/gateway'])).toBe(2);
    const requires = vi.spyOn(Module.prototype, 'require');
    for (const user of ['@apollo/server', '@apollo/gateway']) {
      const createHash = createHashOf(user);
      requires.mockClear();
      for (const text of ['query { me { id } }', '', 'ユーザー']) {
        expect(createHash('sha256').update(text).digest('hex')).toBe(nodeHash('sha256').update(text).digest('hex'));
        expect(createHash('md5').update(text).digest('base64')).toBe(nodeHash('md5').update(text).digest('base64'));
      }
      expect(requires).not.toHaveBeenCalled();
    }
  });

  it('is idempotent and leaves packages it cannot resolve alone', () => {
    expect(hashWithoutRequire()).toBe(1);
    expect(hashWithoutRequire()).toBe(1);
    expect(hashWithoutRequire(['no-such-package-here', '@apollo/server'])).toBe(1);
    expect(hashWithoutRequire(['no-such-package-here'])).toBe(0);
  });
});
