import { aes256Key, bool, ConfigError, commonEnv, loadConfig, outboxEnv, port } from '@app/platform';
import { z } from 'zod';

export const authEnv = {
  ...commonEnv,
  PORT: port(4001),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('auth'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  // OUTBOX_POLL_INTERVAL: seconds between two polls of the outbox (each commit also nudges the relay).
  ...outboxEnv,
  ACCESS_TOKEN_TTL: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL: z.coerce
    .number()
    .int()
    .min(60)
    .default(30 * 86_400),
  /** Failed logins allowed per account and client address in LOGIN_WINDOW seconds. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  LOGIN_WINDOW: z.coerce.number().int().min(1).default(900),
  /**
   * Failed logins allowed per account from all addresses together in LOGIN_ACCOUNT_WINDOW seconds:
   * the backstop against guessing spread over many addresses. Default 20 x LOGIN_MAX_FAILURES.
   */
  LOGIN_ACCOUNT_MAX_FAILURES: z.coerce.number().int().min(1).optional(),
  LOGIN_ACCOUNT_WINDOW: z.coerce.number().int().min(1).default(3600),
  ADMIN_USERNAME: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  ADMIN_EMAIL: z.email().optional(),
  /** argon2id memory (KiB) and passes; the defaults are OWASP's (19 MiB, 2). Tests lower them. */
  PASSWORD_HASH_MEMORY_KIB: z.coerce
    .number()
    .int()
    .min(1024)
    .max(4 * 1024 * 1024)
    .default(19_456),
  PASSWORD_HASH_PASSES: z.coerce.number().int().min(1).max(20).default(2),
  /**
   * AES-256-GCM key (base64 of 32 bytes) that encrypts the private signing keys at rest. Required
   * in production; elsewhere, unset, they are stored as plain JWKs (with a warning at start).
   */
  SIGNING_KEY_ENCRYPTION_KEY: aes256Key().optional(),
  // LINE Login (seed 002). Unset, `lineLogin` answers SERVICE_UNAVAILABLE; nothing else changes.
  /** The LINE Login channel's id: the `aud` of its ID tokens and `client_id` of the code exchange. */
  LINE_LOGIN_CHANNEL_ID: z.string().regex(/^\d+$/, 'must be the numeric channel id').optional(),
  /** The channel secret: authenticates the code exchange and is the HS256 key of web-login ID tokens. */
  LINE_LOGIN_CHANNEL_SECRET: z.string().min(1).optional(),
  /** The callback URL registered with LINE (the gateway's /api/auth/line/callback): the exchange's `redirect_uri` must equal it. */
  LINE_LOGIN_CALLBACK_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** LINE's API base URL (a local fake in tests). */
  LINE_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.line.me'),
  /** Time limit of one call to LINE; past it `lineLogin` answers SERVICE_UNAVAILABLE. */
  LINE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Shared with the gateway: authorises POST /internal/line/session (a LINE user's short-lived token). Unset: that route answers 503. */
  INTERNAL_API_KEY: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').optional(),
  /** Serve introspection and the sandbox? Defaults to "not production". */
  GRAPHQL_INTROSPECTION: bool(true).optional(),
};
export type AuthConfig = z.infer<z.ZodObject<typeof authEnv>>;

export function loadAuthConfig(env?: Record<string, string | undefined>): AuthConfig {
  const config = loadConfig(authEnv, env);
  // A stolen database must not hand out the keys that sign everyone's tokens.
  if (config.NODE_ENV === 'production' && !config.SIGNING_KEY_ENCRYPTION_KEY) {
    throw new ConfigError([
      {
        variable: 'SIGNING_KEY_ENCRYPTION_KEY',
        message: 'required in production (base64 of 32 random bytes, e.g. openssl rand -base64 32)',
      },
    ]);
  }
  return config;
}

export const passwordCost = (config: AuthConfig) => ({ memory: config.PASSWORD_HASH_MEMORY_KIB, passes: config.PASSWORD_HASH_PASSES });
export const accountMaxFailures = (config: AuthConfig) => config.LOGIN_ACCOUNT_MAX_FAILURES ?? 20 * config.LOGIN_MAX_FAILURES;
