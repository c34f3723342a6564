import type { EntityManager } from '@mikro-orm/postgresql';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import { SigningKey } from '../entities/index.js';

const ALG = 'ES256';

/**
 * The auth service's signing keys, persisted so restarts and replicas sign with the same key.
 * Rotation adds a key and retires the previous one, which the JWKS keeps publishing for
 * `retiredKeyGraceSeconds` (the access-token lifetime plus a margin) so its tokens stay valid.
 */
export class KeyStore {
  private current: { kid: string; key: CryptoKey } | null = null;
  private jwks: JSONWebKeySet | null = null;
  private loadedAt = 0;

  constructor(
    private readonly em: EntityManager,
    private readonly retiredKeyGraceSeconds: number,
    /** Replicas pick up a rotation done elsewhere after at most this long. */
    private readonly reloadIntervalMs = 60_000,
  ) {}

  /** Loads the keys, creating the first one if there is none. Safe to run on several replicas at once. */
  async init(): Promise<void> {
    const em = this.em.fork();
    if ((await em.count(SigningKey, { retiredAt: null })) === 0) await this.insertKey(em);
    await this.reload();
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
    em.create(SigningKey, { kid, alg: ALG, publicJwk, privateJwk });
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
    this.current = { kid: active.kid, key: (await importJWK(active.privateJwk, ALG)) as CryptoKey };
    this.jwks = { keys: keys.map((k) => k.publicJwk) };
    this.loadedAt = Date.now();
  }
}
