/** The settings the system tests run with: real local services, cheap password hashing, limits out of the way. */
export function testEnv(): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    // argon2id at its cheapest (1 MiB, 1 pass) instead of OWASP's 19 MiB x 2: hundreds of logins per run.
    PASSWORD_HASH_MEMORY_KIB: '1024',
    PASSWORD_HASH_PASSES: '1',
    // Every test comes from 127.0.0.1: the gateway-wide limits get their own test with a low limit.
    RATE_LIMIT_ANONYMOUS: '1000000',
    RATE_LIMIT_USER: '1000000',
    DELETION_RETRY_AFTER: '5',
    // The test database keeps every earlier run's products; each run has fresh NATS streams and
    // creates the products it orders, so re-announcing the old ones would only be load.
    CATALOG_ANNOUNCE_ON_START: 'false',
    // Two files run at a time, many with platforms of their own, each in short bursts: idle
    // connections closed after 10 s (pg's own default) rather than the services' minute keep the
    // suite near 40 Postgres connections instead of 70 (the server allows 100).
    DB_POOL_IDLE_TIMEOUT_MS: '10000',
  };
}

export const testAdmin = { username: 'test_admin', password: 'test-admin-password-1' };
