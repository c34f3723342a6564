import { commonEnv, decimal, loadConfig, outboxEnv, port } from '@app/platform';
import { z } from 'zod';

/** Seconds, fractions allowed (tests run the saga with sub-second intervals). */
const seconds = (fallback: number) => z.coerce.number().positive().max(86_400).default(fallback);

export const ordersEnv = {
  ...commonEnv,
  PORT: port(4005),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('orders'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * The bundled SimulatedPaymentProvider declines a charge whose amount is greater than this
   * (exact decimal comparison) and accepts every other one.
   */
  PAYMENT_DECLINE_ABOVE: z
    .string()
    .trim()
    .refine(
      (v) => decimal.isValid(v) && !v.startsWith('-'),
      'must be a non-negative decimal (at most 14 digits before and 4 after the point)',
    )
    .transform((v) => decimal.normalize(v))
    .default('1000000'),
  /**
   * Seconds a saga step may take: past it a waiting step compensates (see the README). Longer than
   * the bus's redelivery cycle (ack wait 30 s), so one lost delivery delays an order, not cancels it.
   */
  SAGA_STEP_TIMEOUT: seconds(60),
  /** Seconds between two looks for sagas past their step deadline (and local steps to retry). */
  SAGA_SWEEP_INTERVAL: seconds(1),
  // OUTBOX_POLL_INTERVAL: seconds between two polls of the outbox (each commit also nudges the relay).
  ...outboxEnv,
};
export type OrdersConfig = z.infer<z.ZodObject<typeof ordersEnv>>;
export const loadOrdersConfig = (env?: Record<string, string | undefined>) => loadConfig(ordersEnv, env);
