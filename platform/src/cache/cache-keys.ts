/** Every cache key in one place, so key formats (seeds 000/001) cannot drift between services. */
export const cacheKeys = {
  jwks: () => 'jwks:cache',
  blacklist: (jti: string) => `blacklist:${jti}`,
  /** Set when a user is erased: every token of theirs is refused from then on. */
  revokedUser: (userId: string) => `revoked-user:${userId}`,
  session: (sessionId: string) => `session:${sessionId}`,
  /**
   * Set when a login session (refresh-token family, the access token's `sid`) ends by logout or
   * refresh-token reuse: every access token issued in it is refused from then on.
   */
  revokedSession: (sessionId: string) => `revoked-session:${sessionId}`,
  /**
   * Counts the revocations written (blacklist, revoked-session, revoked-user): a verifier that sees
   * it pass a revision it was never told about knows its in-memory list missed one (RevocationList).
   */
  revocationRevision: () => 'revocations:revision',
  profile: (userId: string) => `profile:${userId}`,
  /** What auth's User type shows of an account (AccountStore). */
  account: (userId: string) => `account:${userId}`,
  loginAttempts: (subject: string) => `login-attempts:${subject}`,
  /** Login attempts at one account (or unknown name) from one client address. */
  loginAttemptsFrom: (subject: string, source: string) => `login-attempts:${subject}:from:${source}`,
  /** Login attempts at one account from anywhere, and the successful ones among them, in one fixed window (epoch seconds of its start). */
  loginAttemptsInWindow: (subject: string, windowStart: number) => `login-attempts:${subject}:window:${windowStart}`,
  loginSuccessesInWindow: (subject: string, windowStart: number) => `login-successes:${subject}:window:${windowStart}`,
  rateLimit: (bucket: string, windowStart: number) => `ratelimit:${bucket}:${windowStart}`,
  /** A per-user quota's counter for one fixed window (epoch seconds of its start), e.g. seed 004's per-route limits. */
  quota: (policy: string, userId: string, windowStart: number) => `quota:${policy}:${userId}:${windowStart}`,
  apq: (hash: string) => `apq:${hash}`,
  /** Set once a LINE webhook event was handled: its redeliveries (same webhookEventId) are skipped. */
  lineWebhookProcessed: (webhookEventId: string) => `line-webhook:processed:${webhookEventId}`,
} as const;

/** TTLs in seconds, as the seeds give them. */
export const cacheTtl = {
  jwks: 3600,
  profile: 300,
  account: 300,
  staticData: 86_400,
} as const;

/**
 * Catalog reads (static data, cacheTtl.staticData), owned by the catalog subgraph: it deletes
 * these keys on every write and stock change and broadcasts `cache.key.invalidated` with them.
 */
export const catalogCacheKeys = {
  product: (productId: string) => `product:${productId}`,
  category: (categoryId: string) => `category:${categoryId}`,
  /** The ids of a category's products, in list order. */
  categoryProducts: (categoryId: string) => `category-products:${categoryId}`,
  /** Every category, in list order. */
  categories: () => 'categories:all',
} as const;

/** Bytes of APQ documents registered in one window (epoch seconds of its start): bounds what APQ adds to the shared cache. */
export const apqBudgetKey = (windowStart: number) => `apq-budget:${windowStart}`;

/**
 * Prefixes of the keys that are only a cache: copies of data whose source is elsewhere (the
 * database, the JWKS endpoint, a client that re-sends its query), so losing one costs a reload.
 * Only these may be evicted under memory pressure, and a failed write of one is not an error.
 * Every other key is state (blacklist, revoked users and sessions, sessions, login attempts, rate
 * limit and quota counters, LINE login states, webhook markers): never evicted, and a new kind of
 * key is state until it is listed here.
 */
export const CACHE_ONLY_KEY_PREFIXES = [
  'apq:',
  'profile:',
  'account:',
  'jwks:',
  'product:',
  'category:',
  'category-products:',
  'categories:',
] as const;

export function isCacheOnlyKey(key: string): boolean {
  return CACHE_ONLY_KEY_PREFIXES.some((prefix) => key.startsWith(prefix));
}
