import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets kept at rest (Facebook tokens, private signing keys): one
 * implementation, so the IV size, tag length and associated-data handling cannot drift apart.
 */
export const AES_256_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12; // GCM's standard nonce size
export const GCM_TAG_BYTES = 16;

export interface Sealed {
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

/**
 * A configured key: base64 or base64url of exactly 32 bytes. The error says what is wrong and
 * never repeats the value (it is a secret); callers prefix it with the setting's name.
 */
export function parseAes256Key(value: string): Buffer {
  const text = typeof value === 'string' ? value.trim() : '';
  // Buffer.from(..., 'base64') skips characters it does not know, so check the alphabet first.
  if (text === '' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    throw new Error('must be base64 or base64url of 32 random bytes (e.g. `openssl rand -base64 32`)');
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== AES_256_KEY_BYTES) {
    throw new Error(`decodes to ${key.length} bytes; it must be exactly ${AES_256_KEY_BYTES} (e.g. \`openssl rand -base64 32\`)`);
  }
  return key;
}

/** Encrypts with a fresh random IV; `associatedData` is authenticated but not stored. */
export function sealAesGcm(key: Buffer, plain: string, associatedData?: string): Sealed {
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

/** Decrypts; throws when the key, the associated data or any byte differs. */
export function openAesGcm(key: Buffer, sealed: Sealed, associatedData?: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: GCM_TAG_BYTES });
  if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}
