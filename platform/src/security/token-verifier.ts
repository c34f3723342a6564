import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import type { Cache } from '../cache/cache.js';
import { cacheKeys, cacheTtl } from '../cache/cache-keys.js';
import { ServiceUnavailableError, UnauthenticatedError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { withTimeout } from '../with-timeout.js';
import type { RevocationList } from './revocation-list.js';

/** Who is calling, as proven by a verified access token. */
export interface AuthContext {
  userId: string;
  scopes: string[];
  jti: string;
  /** Refresh-token family (login session) the access token belongs to. */
  sessionId?: string;
  /** Seconds since epoch. */
  issuedAt: number;
  expiresAt: number;
  token: string;
}

export const ADMIN_SCOPE = 'admin';
export const isAdmin = (auth: AuthContext | undefined) => !!auth?.scopes.includes(ADMIN_SCOPE);

export interface TokenVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  cache: Cache;
  logger?: Logger;
  /** Algorithms accepted; anything else (none, HS256, ...) is refused. Default ['ES256']. */
  algorithms?: string[];
  /** At most one JWKS refetch for unknown `kid`s per this interval. Default 30_000 ms. */
  refetchIntervalMs?: number;
  /** Tokens whose signature was already checked are remembered (until they expire) up to this many. Default 10_000. */
  verifiedCacheSize?: number;
  /** How long a JWKS is trusted in process and in the shared cache. Default 3600 s (seed 000). */
  jwksTtlSeconds?: number;
  /**
   * Longest wait for one shared-cache call. Past it the revocation lookup answers
   * SERVICE_UNAVAILABLE, and a JWKS read counts as a miss (the auth service is asked). Default 1000 ms.
   */
  cacheTimeoutMs?: number;
  /**
   * The revocations kept in this process's memory (started by its owner). While it is current a
   * check makes no cache call at all; otherwise (loading, the bus or the cache away, a broadcast
   * possibly missed) the markers are looked up in the cache per request, as without one.
   */
  revocations?: RevocationList;
  fetch?: typeof globalThis.fetch;
}

const INVALID = 'Invalid or expired token';
const REVOKED = 'Token has been revoked';
const SESSION_ENDED = 'The session has ended';

/**
 * THE token check, shared by the gateway and every subgraph: signature against the auth
 * service's JWKS (kept in process and in the shared cache, so a check costs microseconds),
 * pinned algorithm, iss/aud/exp/nbf, then the logout blacklist, the ended-session marker and
 * the erased-user marker: in memory while the RevocationList is current, otherwise in the cache
 * (one round trip). When that lookup cannot be made the answer is SERVICE_UNAVAILABLE, never
 * UNAUTHENTICATED: the token may be fine, and a client told it is not would throw its session away.
 */
export class TokenVerifier {
  private keys: JSONWebKeySet | null = null;
  private keySet: ReturnType<typeof createLocalJWKSet> | null = null;
  private keysLoadedAt = 0;
  private lastRemoteFetch = 0;
  private inflight: Promise<void> | null = null;
  private readonly algorithms: string[];
  private readonly refetchIntervalMs: number;
  private readonly jwksTtlMs: number;
  private readonly fetchFn: typeof globalThis.fetch;
  /**
   * Signature and claims already checked, by token. A client sends the same token for its whole
   * life, and an ES256 verification costs ~0.3 ms of CPU here: remembering the outcome leaves
   * only the expiry and the revocation lookups per request.
   */
  private readonly verified = new Map<string, Omit<AuthContext, 'token'>>();
  private readonly verifiedCacheSize: number;
  private readonly cacheTimeoutMs: number;

  constructor(private readonly options: TokenVerifierOptions) {
    this.algorithms = options.algorithms ?? ['ES256'];
    this.refetchIntervalMs = options.refetchIntervalMs ?? 30_000;
    this.jwksTtlMs = (options.jwksTtlSeconds ?? cacheTtl.jwks) * 1000;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.verifiedCacheSize = options.verifiedCacheSize ?? 10_000;
    this.cacheTimeoutMs = options.cacheTimeoutMs ?? 1_000;
  }

  async verify(token: string): Promise<AuthContext> {
    let claims = this.verified.get(token);
    if (claims && claims.expiresAt <= Math.floor(Date.now() / 1000)) {
      this.verified.delete(token);
      throw new UnauthenticatedError('Token expired');
    }
    if (!claims) {
      claims = await this.verifySignature(token);
      if (this.verified.size >= this.verifiedCacheSize) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
    }
    const revocations = this.options.revocations;
    if (revocations && (revocations.isCurrent() || (await revocations.whenCurrent()))) {
      const refusal = revocations.refusal(claims);
      if (refusal) throw new UnauthenticatedError(refusal === 'revoked' ? REVOKED : SESSION_ENDED);
    } else {
      await this.checkNotRevoked(claims);
    }
    return { ...claims, token };
  }

  /** Runs for memoized tokens too: a revocation must take effect on the very next request. */
  private async checkNotRevoked(claims: Omit<AuthContext, 'token'>): Promise<void> {
    const keys = [cacheKeys.blacklist(claims.jti), cacheKeys.revokedUser(claims.userId)];
    // Tokens without a session (none are issued today) only have the other two checks.
    if (claims.sessionId) keys.push(cacheKeys.revokedSession(claims.sessionId));
    const [blacklisted, revokedAt, sessionEnded] = await this.lookUpRevocations(keys);
    if (blacklisted !== null) throw new UnauthenticatedError(REVOKED);
    if (revokedAt !== null && claims.issuedAt <= Number(revokedAt)) throw new UnauthenticatedError(REVOKED);
    if (sessionEnded != null) throw new UnauthenticatedError(SESSION_ENDED);
  }

  private async lookUpRevocations(keys: string[]): Promise<(string | null)[]> {
    try {
      return await this.withinTimeout(this.options.cache.mget(keys));
    } catch (err) {
      this.options.logger?.warn({ err: (err as Error).message }, 'token revocation check failed');
      throw new ServiceUnavailableError('Cannot check the access token right now; try again later', { cause: err });
    }
  }

  /** A cache that hangs (a partition) must not hang every request with it. */
  private withinTimeout<T>(operation: Promise<T>): Promise<T> {
    return withTimeout(operation, this.cacheTimeoutMs, () => new Error(`the cache did not answer within ${this.cacheTimeoutMs} ms`));
  }

  private async verifySignature(token: string): Promise<Omit<AuthContext, 'token'>> {
    let kid: string | undefined;
    let alg: string | undefined;
    try {
      ({ kid, alg } = decodeProtectedHeader(token));
    } catch {
      throw new UnauthenticatedError(INVALID);
    }
    if (!kid || !alg || !this.algorithms.includes(alg)) throw new UnauthenticatedError(INVALID);

    await this.ensureKey(kid);
    if (!this.keySet) throw new UnauthenticatedError(INVALID);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.algorithms,
        requiredClaims: ['sub', 'jti', 'iat', 'exp'],
        clockTolerance: 5,
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('Token expired');
      throw new UnauthenticatedError(INVALID);
    }

    return {
      userId: String(payload.sub),
      jti: String(payload.jti),
      scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
      sessionId: typeof payload.sid === 'string' ? payload.sid : undefined,
      issuedAt: Number(payload.iat),
      expiresAt: Number(payload.exp),
    };
  }

  /** Makes sure the key `kid` is loaded, refetching at most once per interval for unknown kids. */
  private async ensureKey(kid: string): Promise<void> {
    if (!this.keys || Date.now() - this.keysLoadedAt > this.jwksTtlMs) await this.load('cache-first');
    // Unknown kid: the signer may have rotated keys since the cached JWKS was written. A rotation
    // publishes the new JWKS to the shared cache, so look there first (one cache read); only then
    // ask the auth service, which is rate-limited.
    if (!this.hasKid(kid)) await this.adoptSharedJwksWith(kid);
    if (!this.hasKid(kid)) await this.load('remote');
  }

  /** Takes the shared cache's JWKS, but only if it knows `kid` (never trades newer keys for older ones). */
  private async adoptSharedJwksWith(kid: string): Promise<void> {
    const cached = await this.withinTimeout(this.options.cache.get(cacheKeys.jwks())).catch(() => null);
    if (!cached) return;
    try {
      const jwks = JSON.parse(cached) as JSONWebKeySet;
      if (Array.isArray(jwks?.keys) && jwks.keys.some((k) => k.kid === kid)) this.setKeys(jwks);
    } catch {
      /* corrupt cache entry: the remote fetch decides */
    }
  }

  private hasKid(kid: string): boolean {
    return !!this.keys?.keys.some((k) => k.kid === kid);
  }

  private load(mode: 'cache-first' | 'remote'): Promise<void> {
    // While no key is known at all (auth service still starting) retry sooner, but never in a tight loop.
    const interval = this.keys ? this.refetchIntervalMs : Math.min(1_000, this.refetchIntervalMs);
    // A fetch still in flight is waited for: a concurrent request must not verify against the old keys.
    if (mode === 'remote' && Date.now() - this.lastRemoteFetch < interval) return this.inflight ?? Promise.resolve();
    this.inflight ??= this.doLoad(mode).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async doLoad(mode: 'cache-first' | 'remote'): Promise<void> {
    if (mode === 'cache-first') {
      const cached = await this.withinTimeout(this.options.cache.get(cacheKeys.jwks())).catch(() => null);
      if (cached) {
        try {
          this.setKeys(JSON.parse(cached) as JSONWebKeySet);
          return;
        } catch {
          /* corrupt cache entry: fall through to the auth service */
        }
      }
    }
    this.lastRemoteFetch = Date.now();
    try {
      const res = await this.fetchFn(this.options.jwksUrl, { signal: AbortSignal.timeout(3_000) });
      if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
      const jwks = (await res.json()) as JSONWebKeySet;
      if (!Array.isArray(jwks?.keys)) throw new Error('JWKS has no keys array');
      this.setKeys(jwks);
      await this.withinTimeout(this.options.cache.set(cacheKeys.jwks(), JSON.stringify(jwks), this.jwksTtlMs / 1000)).catch(() => {});
    } catch (err) {
      this.options.logger?.warn({ err: (err as Error).message, jwksUrl: this.options.jwksUrl }, 'JWKS fetch failed');
    }
  }

  private setKeys(jwks: JSONWebKeySet) {
    this.keys = jwks;
    this.keySet = createLocalJWKSet(jwks);
    this.keysLoadedAt = Date.now();
  }

  /** Drops the in-process copy (tests and key rotation use this). */
  forget() {
    this.verified.clear();
    this.keys = null;
    this.keySet = null;
    this.keysLoadedAt = 0;
    this.lastRemoteFetch = 0;
  }
}

/**
 * The one parser of `Authorization: Bearer <token>` (RFC 6750; the scheme in any case): the token,
 * undefined without a header, '' for a header that is present but malformed, so callers refuse it.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}

/** `Authorization: Bearer x` first, then the BFF's `access_token` cookie. */
export function extractToken(headers: { authorization?: string; cookie?: string }): string | undefined {
  if (headers.authorization) return bearerToken(headers.authorization);
  const cookie = headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === 'access_token') return decodeURIComponent(rest.join('='));
    }
  }
  return undefined;
}
