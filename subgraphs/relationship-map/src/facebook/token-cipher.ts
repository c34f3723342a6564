import { AES_256_KEY_BYTES, GCM_IV_BYTES, GCM_TAG_BYTES, openAesGcm, parseAes256Key, sealAesGcm } from '@app/platform';

/** A stored token could not be decrypted: tampered with, another key, or not our format. */
export class TokenCipherError extends Error {
  override name = 'TokenCipherError';
  readonly code = 'TOKEN_CIPHER_FAILED';
}

const VERSION = 'v1';
const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The configured key (base64 or base64url of exactly 32 bytes) as a Buffer. Throws an Error
 * that says what is wrong and never repeats the value (it is a secret).
 */
export function parseTokenKey(value: string): Buffer {
  try {
    return parseAes256Key(value);
  } catch (err) {
    throw new Error(`The token encryption key ${(err as Error).message}`);
  }
}

/**
 * AES-256-GCM for Facebook access tokens at rest. Stored form: `v1.<iv>.<tag>.<ciphertext>`
 * (base64url parts), a fresh random 12-byte IV per encryption. The optional `context` is
 * authenticated but not stored: pass e.g. the owner's user id, and a ciphertext copied to
 * another row no longer decrypts.
 */
export class TokenCipher {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (!Buffer.isBuffer(key) || key.length !== AES_256_KEY_BYTES)
      throw new RangeError(`TokenCipher needs a ${AES_256_KEY_BYTES}-byte key`);
    this.key = Buffer.from(key); // a copy: the caller's buffer may be reused or zeroed
  }

  static fromBase64Key(base64: string): TokenCipher {
    return new TokenCipher(parseTokenKey(base64));
  }

  encrypt(plain: string, context?: string): string {
    const { iv, tag, ciphertext } = sealAesGcm(this.key, plain, context);
    return [VERSION, ...[iv, tag, ciphertext].map((part) => part.toString('base64url'))].join('.');
  }

  decrypt(stored: string, context?: string): string {
    const parts = typeof stored === 'string' ? stored.split('.') : [];
    if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((p) => B64URL.test(p))) {
      throw new TokenCipherError('The stored token is not in the v1 format');
    }
    const [iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
    if (iv.length !== GCM_IV_BYTES || tag.length !== GCM_TAG_BYTES) throw new TokenCipherError('The stored token is not in the v1 format');
    try {
      return openAesGcm(this.key, { iv, tag, ciphertext }, context);
    } catch {
      throw new TokenCipherError('The stored token could not be decrypted (wrong key or tampered data)');
    }
  }
}
