import { createHash } from 'node:crypto';
import { openAesGcm, parseAes256Key, sealAesGcm } from '@app/platform';
import type { JWK } from 'jose';

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
 * AES-256-GCM for the private signing keys at rest, a fresh IV per encryption. The key's `kid`
 * is authenticated as associated data: a ciphertext copied onto another row does not decrypt.
 */
export class PrivateKeyCipher {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(base64Key: string) {
    this.key = parseAes256Key(base64Key);
    this.keyId = createHash('sha256').update(this.key).digest('base64url').slice(0, 11);
  }

  encrypt(jwk: JWK, kid: string): EncryptedJwk {
    const { iv, tag, ciphertext } = sealAesGcm(this.key, JSON.stringify(jwk), kid);
    return {
      enc: 'A256GCM',
      keyId: this.keyId,
      iv: iv.toString('base64url'),
      tag: tag.toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
    };
  }

  decrypt(stored: EncryptedJwk, kid: string): JWK {
    if (stored.keyId !== this.keyId) {
      throw new PrivateKeyCipherError(
        `signing key ${kid} was encrypted with another SIGNING_KEY_ENCRYPTION_KEY (key id ${stored.keyId}, configured ${this.keyId})`,
      );
    }
    try {
      const [iv, tag, ciphertext] = [stored.iv, stored.tag, stored.ciphertext].map((part) => Buffer.from(part, 'base64url'));
      return JSON.parse(openAesGcm(this.key, { iv, tag, ciphertext }, kid)) as JWK;
    } catch (err) {
      throw new PrivateKeyCipherError(`signing key ${kid} does not decrypt (tampered with, or moved from another row)`, { cause: err });
    }
  }
}
