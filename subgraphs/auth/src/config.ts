import { bool, commonEnv, loadConfig, port } from '@app/platform';
import { z } from 'zod';

export const authEnv = {
  ...commonEnv,
  PORT: port(4001),
  DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('auth'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  ACCESS_TOKEN_TTL: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL: z.coerce.number().int().min(60).default(30 * 86_400),
  /** Failed logins allowed per account in LOGIN_WINDOW seconds (the gateway limits each client address). */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  LOGIN_WINDOW: z.coerce.number().int().min(1).default(900),
  ADMIN_USERNAME: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  ADMIN_EMAIL: z.email().optional(),
  /** scrypt cost (N). 16384 is ~30 ms a hash; tests may lower it. */
  SCRYPT_COST: z.coerce.number().int().min(1024).default(16_384),
  /** Serve introspection and the sandbox? Defaults to "not production". */
  GRAPHQL_INTROSPECTION: bool(true).optional(),
};
export type AuthConfig = z.infer<z.ZodObject<typeof authEnv>>;
export const loadAuthConfig = (env?: Record<string, string | undefined>) => loadConfig(authEnv, env);
