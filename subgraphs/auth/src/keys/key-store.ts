import type { Logger } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { SigningKey } from '../entities/index.js';
import { isEncrypted, type PrivateKeyCipher, type StoredPrivateJwk } from './private-key-cipher.js';

const ALG = 'ES256';

/**
 * The auth service's signing keys, persisted so restarts and replicas sign with the same key.
 * Rotation adds a key and retires the previous one, which the JWKS keeps publishing for
 * `retiredKeyGraceSeconds` (the access-token lifetime plus a margin) so its tokens stay valid.
 * With a cipher, private keys are stored encrypted (AES-256-GCM); without one, as plain JWKs.
 */
export class KeyStore {
  private current: { kid: string; key: CryptoKey } | null = null;
  private jwks: JSONWebKeySet | null = null;
  private loadedAt = 0;

  constructor(
    private readonly em: EntityManager,
    private readonly retiredKeyGraceSeconds: number,
    private readonly cipher: PrivateKeyCipher | null,
    private readonly logger?: Logger,
    /** Replicas pick up a rotation done elsewhere after at most this long. */
    private readonly reloadIntervalMs = 60_000,
  ) {}

  /**
   * Encrypts the private keys still stored in plain (rows written before encryption was
   * configured), creates the first key if there is none, and loads them. Safe to run on several
   * replicas at once: two replicas encrypting one row both write a valid ciphertext.
   */
  async init(): Promise<void> {
    const em = this.em.fork();
    await this.encryptPlainKeys(em);
    if ((await em.count(SigningKey, { retiredAt: null })) === 0) await this.insertKey(em);
    await this.reload();
  }

  private async encryptPlainKeys(em: EntityManager): Promise<void> {
    const rows = await em.find(SigningKey, {});
    const plain = rows.filter((row) => !isEncrypted(row.privateJwk));
    if (!this.cipher) {
      if (plain.length < rows.length) {
        throw new Error('The signing keys are stored encrypted: set SIGNING_KEY_ENCRYPTION_KEY to the key they were encrypted with');
      }
      return;
    }
    for (const row of plain) row.privateJwk = this.cipher.encrypt(row.privateJwk as JWK, row.kid);
    if (!plain.length) return;
    await em.flush();
    this.logger?.info({ keys: plain.length }, 'signing keys stored in plain were encrypted with SIGNING_KEY_ENCRYPTION_KEY');
  }

  async signingKey(): Promise<{ kid: string; key: CryptoKey }> {
    if (!this.current || Date.now() - this.loadedAt > this.reloadIntervalMs) await this.reload();
    return this.current!;
  }

  async publicJwks(): Promise<JSONWebKeySet> {
    if (!this.jwks || Date.now() - this.loadedAt > this.reloadIntervalMs) await this.reload();
    return this.jwks!;
  }

  /** Starts signing with a fresh key; returns its kid. */
  async rotate(): Promise<string> {
    const em = this.em.fork();
    const kid = await em.transactional(async (tx) => {
      await tx.nativeUpdate(SigningKey, { retiredAt: null }, { retiredAt: new Date() });
      return this.insertKey(tx);
    });
    await this.reload();
    return kid;
  }

  private async insertKey(em: EntityManager): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = crypto.randomUUID();
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: ALG };
    em.create(SigningKey, { kid, alg: ALG, publicJwk, privateJwk: this.cipher ? this.cipher.encrypt(privateJwk, kid) : privateJwk });
    await em.flush();
    return kid;
  }

  private async reload(): Promise<void> {
    const em = this.em.fork();
    const graceStart = new Date(Date.now() - this.retiredKeyGraceSeconds * 1000);
    const keys = await em.find(
      SigningKey,
      { $or: [{ retiredAt: null }, { retiredAt: { $gt: graceStart } }] },
      { orderBy: { createdAt: 'desc' } },
    );
    const active = keys.find((k) => !k.retiredAt);
    if (!active) throw new Error('no active signing key');
    this.current = { kid: active.kid, key: (await importJWK(this.open(active.privateJwk, active.kid), ALG)) as CryptoKey };
    this.jwks = { keys: keys.map((k) => k.publicJwk) };
    this.loadedAt = Date.now();
  }

  private open(stored: StoredPrivateJwk, kid: string): JWK {
    if (!isEncrypted(stored)) return stored;
    if (!this.cipher) throw new Error(`Signing key ${kid} is encrypted: set SIGNING_KEY_ENCRYPTION_KEY`);
    return this.cipher.decrypt(stored, kid);
  }
}
