/**
 * The real Redis, with keys of a test's own: every key gets the namespace after its kind
 * (`product:{id}` -> `product:{ns}:{id}`, `categories:all` -> `categories:{ns}:all`), so a
 * private service never reads or overwrites the running platform's entries (`categories:all` is
 * one shared key), while the key's kind prefix, which decides whether a key is only a cache
 * (`isCacheOnlyKey`), stays in front. Every key written is deleted again at `close()`.
 */
import { randomBytes } from 'node:crypto';
import { type Cache, type CounterIncrement, RedisCache } from '@app/platform';

export class NamespacedCache implements Cache {
  private readonly written = new Set<string>();
  private closed = false;

  constructor(
    readonly inner: Cache,
    readonly namespace: string,
  ) {}

  /** A RedisCache on `url` under a fresh namespace (`prefix` + random hex). */
  static connect(url: string, prefix = 'tcache'): NamespacedCache {
    return new NamespacedCache(RedisCache.connect(url), `${prefix}${randomBytes(4).toString('hex')}`);
  }

  /** The key as it is stored in Redis. */
  key(key: string): string {
    const colon = key.indexOf(':');
    return colon < 0 ? `${this.namespace}:${key}` : `${key.slice(0, colon + 1)}${this.namespace}:${key.slice(colon + 1)}`;
  }
  private track(key: string): string {
    const stored = this.key(key);
    this.written.add(stored);
    return stored;
  }

  get(key: string) {
    return this.inner.get(this.key(key));
  }
  mget(keys: string[]) {
    return this.inner.mget(keys.map((k) => this.key(k)));
  }
  set(key: string, value: string, ttlSeconds?: number) {
    return this.inner.set(this.track(key), value, ttlSeconds);
  }
  setIfAbsent(key: string, value: string, ttlSeconds: number) {
    return this.inner.setIfAbsent(this.track(key), value, ttlSeconds);
  }
  del(...keys: string[]) {
    return this.inner.del(...keys.map((k) => this.key(k)));
  }
  incr(key: string, ttlSeconds: number) {
    return this.inner.incr(this.track(key), ttlSeconds);
  }
  incrBy(key: string, amount: number, ttlSeconds: number) {
    return this.inner.incrBy(this.track(key), amount, ttlSeconds);
  }
  incrByMany(entries: readonly CounterIncrement[]) {
    return this.inner.incrByMany(entries.map((e) => ({ ...e, key: this.track(e.key) })));
  }
  ttl(key: string) {
    return this.inner.ttl(this.key(key));
  }
  async scanPrefix(prefix: string) {
    // Stored as `{kind}:{ns}:{rest}`: listed under the namespaced prefix, handed back without the namespace.
    const stored = this.key(prefix);
    const found = await this.inner.scanPrefix(stored);
    return found.map((entry) => ({ ...entry, key: prefix + entry.key.slice(stored.length) }));
  }
  reachable() {
    return this.inner.reachable();
  }
  health() {
    return this.inner.health();
  }
  /** Deletes every key this cache wrote, then closes the connection. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    try {
      const keys = [...this.written];
      for (let i = 0; i < keys.length; i += 500) await this.inner.del(...keys.slice(i, i + 500));
    } finally {
      await this.inner.close();
    }
  }
}
