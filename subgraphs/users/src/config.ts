import { commonEnv, loadConfig, outboxEnv, port } from '@app/platform';
import { z } from 'zod';

export const usersEnv = {
  ...commonEnv,
  PORT: port(4002),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('users'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  // OUTBOX_POLL_INTERVAL: seconds between two polls of the outbox (each commit also nudges the relay).
  ...outboxEnv,
  /** Locale of a profile nobody has set yet. */
  DEFAULT_LOCALE: z.string().default('ja-JP'),
  /** Services that must confirm an account erasure (comma-separated); later subgraphs add themselves. */
  DELETION_PARTICIPANTS: z
    .string()
    .default('auth,users,workouts,orders,relationship-map')
    .transform((s) => [
      ...new Set(
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ]),
  /** How long a replica keeps a profile in process; invalidations from any replica drop it at once. */
  PROFILE_LOCAL_TTL: z.coerce.number().min(0).default(30),
  /** A deletion still pending after this many seconds is published again. */
  DELETION_RETRY_AFTER: z.coerce.number().int().min(1).default(120),
};
export type UsersConfig = z.infer<z.ZodObject<typeof usersEnv>>;
export const loadUsersConfig = (env?: Record<string, string | undefined>) => loadConfig(usersEnv, env);
