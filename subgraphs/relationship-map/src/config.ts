import { aes256Key, ConfigError, commonEnv, loadConfig, outboxEnv, port } from '@app/platform';
import { z } from 'zod';

export const relationshipMapEnv = {
  ...commonEnv,
  PORT: port(4006),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('relationship_map'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  // OUTBOX_POLL_INTERVAL: seconds between two polls of the outbox (each commit also nudges the relay).
  ...outboxEnv,
  /** Base URL of Facebook's Graph API (https://graph.facebook.com). Unset: the Facebook operations answer SERVICE_UNAVAILABLE. */
  FACEBOOK_GRAPH_URL: z.url({ protocol: /^https?$/ }).optional(),
  FACEBOOK_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v21.0')
    .default('v21.0'),
  /** The Facebook app's secret: every call then carries appsecret_proof (Facebook's recommended hardening). */
  FACEBOOK_APP_SECRET: z.string().min(1).optional(),
  /** Time limit of one Facebook call, every page included (ms). */
  FACEBOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** AES-256 key (base64 of 32 bytes) that encrypts Facebook tokens at rest. Required in production when Facebook is configured. */
  FACEBOOK_TOKEN_KEY: aes256Key().optional(),
};
export type RelationshipMapConfig = z.infer<z.ZodObject<typeof relationshipMapEnv>>;

export function loadRelationshipMapConfig(env?: Record<string, string | undefined>): RelationshipMapConfig {
  const config = loadConfig(relationshipMapEnv, env);
  // A production deployment that stores tokens must be able to read them after a restart, and
  // must not fall back to a key nobody chose.
  if (config.NODE_ENV === 'production' && config.FACEBOOK_GRAPH_URL && !config.FACEBOOK_TOKEN_KEY) {
    throw new ConfigError([
      { variable: 'FACEBOOK_TOKEN_KEY', message: 'required in production when FACEBOOK_GRAPH_URL is set (base64 of 32 random bytes)' },
    ]);
  }
  return config;
}
