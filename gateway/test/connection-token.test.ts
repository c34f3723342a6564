import { describe, expect, it } from 'vitest';
import { connectionToken } from '../src/auth/connection-token.js';

describe('connectionToken (graphql-ws connection_init)', () => {
  it('is undefined (anonymous) without params or an authorization key', () => {
    expect(connectionToken(undefined)).toBeUndefined();
    expect(connectionToken({ other: 'Bearer abc' })).toBeUndefined();
  });

  it('reads "Bearer <token>" under any casing of the key and the scheme', () => {
    expect(connectionToken({ authorization: 'Bearer abc.def' })).toBe('abc.def');
    expect(connectionToken({ Authorization: 'bearer abc.def' })).toBe('abc.def');
  });

  it('is null (refused) for a key whose value is not "Bearer <token>"', () => {
    expect(connectionToken({ authorization: '' })).toBeNull();
    expect(connectionToken({ authorization: null })).toBeNull();
    expect(connectionToken({ authorization: 'Basic abc' })).toBeNull();
    expect(connectionToken({ authorization: 'Bearer a b' })).toBeNull();
  });
});
