import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';

const KEY_BYTES = 32; // AES-256
const IV_BYTES = 12; // GCM's standard nonce size
const TAG_BYTES = 16;

/** A private JWK as stored in `signing_keys.private_jwk` once encrypted (the column stays jsonb). */
export interface EncryptedJwk {
  enc: 'A256GCM';
  /** Which encryption key sealed it (a fingerprint, not the key): a wrong key is reported as such. */
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}
export type StoredPrivateJwk = JWK | EncryptedJwk;

export const isEncrypted = (stored: StoredPrivateJwk): stored is EncryptedJwk => (stored as EncryptedJwk).enc === 'A256GCM';

export class PrivateKeyCipherError extends Error {
  override name = 'PrivateKeyCipherError';
}

/**
 * SIGNING_KEY_ENCRYPTION_KEY (base64 or base64url of exactly 32 bytes) as a Buffer. The error
 * says what is wrong and never repeats the value (it is a secret).
 */
export function parseEncryptionKey(value: string): Buffer {
  const text = value.trim();
  // Buffer.from(..., 'base64') skips characters it does not know, so check the alphabet first.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw new Error('must be base64 of 32 random bytes (e.g. `openssl rand -base64 32`)');
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`decodes to ${key.length} bytes; it must be exactly ${KEY_BYTES} (e.g. \`openssl rand -base64 32\`)`);
  return key;
}

/**
 * AES-256-GCM for the private signing keys at rest, a fresh IV per encryption. The key's `kid`
 * is authenticated as associated data: a ciphertext copied onto another row does not decrypt.
 */
export class PrivateKeyCipher {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(base64Key: string) {
    this.key = parseEncryptionKey(base64Key);
    this.keyId = createHash('sha256').update(this.key).digest('base64url').slice(0, 11);
  }

  encrypt(jwk: JWK, kid: string): EncryptedJwk {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()]);
    return { enc: 'A256GCM', keyId: this.keyId, iv: iv.toString('base64url'), tag: cipher.getAuthTag().toString('base64url'), ciphertext: ciphertext.toString('base64url') };
  }

  decrypt(stored: EncryptedJwk, kid: string): JWK {
    if (stored.keyId !== this.keyId) {
      throw new PrivateKeyCipherError(`signing key ${kid} was encrypted with another SIGNING_KEY_ENCRYPTION_KEY (key id ${stored.keyId}, configured ${this.keyId})`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(stored.iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(Buffer.from(stored.tag, 'base64url'));
      const plain = Buffer.concat([decipher.update(Buffer.from(stored.ciphertext, 'base64url')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as JWK;
    } catch (err) {
      throw new PrivateKeyCipherError(`signing key ${kid} does not decrypt (tampered with, or moved from another row)`, { cause: err });
    }
  }
}
