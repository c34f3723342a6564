import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A stored token could not be decrypted: tampered with, another key, or not our format. */
export class TokenCipherError extends Error {
  override name = 'TokenCipherError';
  readonly code = 'TOKEN_CIPHER_FAILED';
}

const KEY_BYTES = 32; // AES-256
const IV_BYTES = 12; // the GCM standard nonce size
const TAG_BYTES = 16;
const VERSION = 'v1';
const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The configured key (base64 or base64url of exactly 32 bytes) as a Buffer. Throws an Error
 * that says what is wrong and never repeats the value (it is a secret).
 */
export function parseTokenKey(value: string): Buffer {
  const text = typeof value === 'string' ? value.trim() : '';
  // Buffer.from(..., 'base64') skips characters it does not know, so check the alphabet first.
  if (text === '' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    throw new Error('The token encryption key must be base64 or base64url of 32 random bytes (e.g. `openssl rand -base64 32`)');
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error(`The token encryption key decodes to ${key.length} bytes; it must be exactly ${KEY_BYTES} (e.g. \`openssl rand -base64 32\`)`);
  }
  return key;
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
    if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) throw new RangeError(`TokenCipher needs a ${KEY_BYTES}-byte key`);
    this.key = Buffer.from(key); // a copy: the caller's buffer may be reused or zeroed
  }

  static fromBase64Key(base64: string): TokenCipher {
    return new TokenCipher(parseTokenKey(base64));
  }

  encrypt(plain: string, context?: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  decrypt(stored: string, context?: string): string {
    const parts = typeof stored === 'string' ? stored.split('.') : [];
    if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((p) => B64URL.test(p))) {
      throw new TokenCipherError('The stored token is not in the v1 format');
    }
    const [iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new TokenCipherError('The stored token is not in the v1 format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenCipherError('The stored token could not be decrypted (wrong key or tampered data)');
    }
  }
}
