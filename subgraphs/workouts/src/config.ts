import { commonEnv, loadConfig, outboxEnv, port } from '@app/platform';
import { z } from 'zod';

export const workoutsEnv = {
  ...commonEnv,
  PORT: port(4003),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('workouts'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  // OUTBOX_POLL_INTERVAL: seconds between two polls of the outbox (each commit also nudges the relay).
  ...outboxEnv,
};
export type WorkoutsConfig = z.infer<z.ZodObject<typeof workoutsEnv>>;
export const loadWorkoutsConfig = (env?: Record<string, string | undefined>) => loadConfig(workoutsEnv, env);
