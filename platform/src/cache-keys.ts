/** Every cache key in one place, so key formats (seeds 000/001) cannot drift between services. */
export const cacheKeys = {
  jwks: () => 'jwks:cache',
  blacklist: (jti: string) => `blacklist:${jti}`,
  /** Set when a user is erased: every token of theirs is refused from then on. */
  revokedUser: (userId: string) => `revoked-user:${userId}`,
  session: (sessionId: string) => `session:${sessionId}`,
  profile: (userId: string) => `profile:${userId}`,
  loginAttempts: (subject: string) => `login-attempts:${subject}`,
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
