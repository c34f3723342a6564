import type { CacheEntry } from '../cache/cache.js';
import { cacheKeys } from '../cache/cache-keys.js';

/** An access token (by jti), a login session (by sid), or a user's tokens issued up to `revokedAt`. */
export type RevocationKind = 'token' | 'session' | 'user';

/** The claims of a token that a revocation may apply to. */
export interface RevocableClaims {
  jti: string;
  userId: string;
  sessionId?: string;
  /** Seconds since epoch. */
  issuedAt: number;
}

/** Why a token is refused, as the verifier words it. */
export type Refusal = 'revoked' | 'session-ended';

/** Each kind's markers in the shared cache all start with this. */
export const revocationPrefixes: Record<RevocationKind, string> = {
  token: cacheKeys.blacklist(''),
  session: cacheKeys.revokedSession(''),
  user: cacheKeys.revokedUser(''),
};

/**
 * The revocations one process knows, each until its marker in the shared cache expires (by then
 * no token it refuses is still valid). A check is three map lookups; an entry only ever gets
 * stricter (a later expiry, a later `revokedAt`), the way a repeated write to the marker would.
 */
export class RevocationEntries {
  /** jti -> expiry (epoch ms). */
  private readonly tokens = new Map<string, number>();
  /** sid -> expiry (epoch ms). */
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, { revokedAt: number; expiresAt: number }>();

  get size(): number {
    return this.tokens.size + this.sessions.size + this.users.size;
  }

  /** `expiresAt` in epoch ms (Infinity: until removed); `revokedAt` in epoch seconds (used for users). */
  add(kind: RevocationKind, id: string, revokedAt: number, expiresAt: number): void {
    if (kind === 'user') {
      const known = this.users.get(id);
      // A marker that is not a number refuses nothing (as in the shared cache): -Infinity.
      const times = [revokedAt, known?.revokedAt ?? Number.NaN].filter(Number.isFinite);
      this.users.set(id, { revokedAt: Math.max(...times, -Infinity), expiresAt: Math.max(expiresAt, known?.expiresAt ?? 0) });
      return;
    }
    const map = kind === 'token' ? this.tokens : this.sessions;
    map.set(id, Math.max(expiresAt, map.get(id) ?? 0));
  }

  /** Adds the markers a scan of `kind`'s prefix found (`now`: when it was read, epoch ms). */
  addScanned(kind: RevocationKind, found: CacheEntry[], now: number): void {
    const prefix = revocationPrefixes[kind];
    for (const entry of found) {
      if (!entry.key.startsWith(prefix)) continue;
      this.add(kind, entry.key.slice(prefix.length), Number(entry.value), entry.ttlMs === null ? Infinity : now + entry.ttlMs);
    }
  }

  /** The same answers as the markers in the shared cache give (TokenVerifier's lookup there). */
  refusal(claims: RevocableClaims): Refusal | null {
    const token = this.tokens.get(claims.jti);
    if (token !== undefined && token > Date.now()) return 'revoked';
    const user = this.users.get(claims.userId);
    if (user && user.expiresAt > Date.now() && claims.issuedAt <= user.revokedAt) return 'revoked';
    if (claims.sessionId === undefined) return null;
    const session = this.sessions.get(claims.sessionId);
    return session !== undefined && session > Date.now() ? 'session-ended' : null;
  }

  /** Drops what expired (epoch ms). */
  sweep(now: number): void {
    for (const map of [this.tokens, this.sessions]) for (const [id, expiresAt] of map) if (expiresAt <= now) map.delete(id);
    for (const [id, { expiresAt }] of this.users) if (expiresAt <= now) this.users.delete(id);
  }
}
