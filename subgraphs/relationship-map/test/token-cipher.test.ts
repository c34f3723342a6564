import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseTokenKey, TokenCipher, TokenCipherError } from '../src/facebook/token-cipher.js';

const FORMAT = /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/;
const token = `EAAGm0PX4ZCpsBA${'x'.repeat(180)}-日本語`;

/** Flips one bit in part `index` (1 = iv, 2 = tag, 3 = ciphertext) of a stored value. */
function flip(stored: string, index: number): string {
  const parts = stored.split('.');
  const bytes = Buffer.from(parts[index], 'base64url');
  bytes[0] ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

function expectCipherError(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TokenCipherError);
    expect(err).toMatchObject({ name: 'TokenCipherError', code: 'TOKEN_CIPHER_FAILED' });
    return err as TokenCipherError;
  }
  throw new Error('expected a TokenCipherError');
}

describe('TokenCipher (AES-256-GCM, v1.<iv>.<tag>.<ciphertext>)', () => {
  const cipher = new TokenCipher(randomBytes(32));

  it('round-trips, in the v1 format, never containing the plaintext', () => {
    const stored = cipher.encrypt(token);
    expect(stored).toMatch(FORMAT);
    expect(stored).not.toContain('EAAGm0PX4ZCpsBA');
    expect(cipher.decrypt(stored)).toBe(token);
    expect(cipher.decrypt(cipher.encrypt(''))).toBe('');
  });

  it('gives a different ciphertext (and IV) every time', () => {
    const a = cipher.encrypt(token);
    const b = cipher.encrypt(token);
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it('detects tampering with the IV, the tag or the ciphertext', () => {
    const stored = cipher.encrypt(token);
    for (const part of [1, 2, 3]) expectCipherError(() => cipher.decrypt(flip(stored, part)));
  });

  it('refuses to decrypt with another key, and says nothing of the token', () => {
    const stored = cipher.encrypt(token);
    const err = expectCipherError(() => new TokenCipher(randomBytes(32)).decrypt(stored));
    expect(err.message).not.toContain('EAAG');
  });

  it('binds an optional context (e.g. the owner) so a copied ciphertext does not decrypt elsewhere', () => {
    const stored = cipher.encrypt(token, 'user-1');
    expect(cipher.decrypt(stored, 'user-1')).toBe(token);
    expectCipherError(() => cipher.decrypt(stored, 'user-2'));
    expectCipherError(() => cipher.decrypt(stored));
  });

  it('refuses values that are not in the v1 format', () => {
    const [, iv, tag, ct] = cipher.encrypt(token).split('.');
    for (const bad of [
      '',
      'garbage',
      `v2.${iv}.${tag}.${ct}`,
      `v1.${iv}.${tag}`,
      `v1.${iv}.${tag}.${ct}.x`,
      `v1.${iv}.${tag}.${ct}==`,
      `v1.${iv}.${tag.slice(0, 10)}.${ct}`,
      `v1.AAAA.${tag}.${ct}`,
    ]) {
      expectCipherError(() => cipher.decrypt(bad));
    }
  });

  it('needs a 32-byte key', () => {
    for (const size of [0, 16, 31, 33, 64]) expect(() => new TokenCipher(randomBytes(size))).toThrow(RangeError);
  });

  it('fromBase64Key builds an equivalent cipher from the configured key', () => {
    const key = randomBytes(32);
    const stored = new TokenCipher(key).encrypt(token);
    expect(TokenCipher.fromBase64Key(key.toString('base64')).decrypt(stored)).toBe(token);
    expect(TokenCipher.fromBase64Key(key.toString('base64url')).decrypt(stored)).toBe(token);
  });
});

describe('parseTokenKey', () => {
  // 0xfb 0xff... encodes to '+' and '/' in base64 and to '-' and '_' in base64url.
  const key = Buffer.concat([Buffer.from([0xfb, 0xff, 0xbf]), randomBytes(29)]);

  it('accepts base64 and base64url of exactly 32 bytes, padded or not, trimmed', () => {
    expect(key.toString('base64')).toMatch(/[+/]/);
    expect(key.toString('base64url')).toMatch(/[-_]/);
    expect(parseTokenKey(key.toString('base64'))).toEqual(key);
    expect(parseTokenKey(key.toString('base64').replace(/=+$/, ''))).toEqual(key);
    expect(parseTokenKey(key.toString('base64url'))).toEqual(key);
    expect(parseTokenKey(` ${key.toString('base64')}\n`)).toEqual(key);
  });

  it('refuses other lengths and non-base64 text with a clear message that does not repeat the value', () => {
    const short = randomBytes(31).toString('base64');
    expect(() => parseTokenKey(short)).toThrow(/decodes to 31 bytes; it must be exactly 32/);
    expect(() => parseTokenKey(randomBytes(33).toString('base64'))).toThrow(/decodes to 33 bytes/);
    expect(() => parseTokenKey(randomBytes(32).toString('hex'))).toThrow(/decodes to 48 bytes/);
    for (const bad of ['', '   ', 'not base64!', `${key.toString('base64')}===`, 'ab cd']) {
      expect(() => parseTokenKey(bad)).toThrow(/base64 or base64url of 32 random bytes/);
    }
    try {
      parseTokenKey(short);
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
    }
  });
});
