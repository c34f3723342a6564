import { bool, commonEnv, loadConfig, outboxEnv, port } from '@app/platform';
import { z } from 'zod';

export const catalogEnv = {
  ...commonEnv,
  PORT: port(4004),
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('catalog'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  // OUTBOX_POLL_INTERVAL: seconds between two polls of the outbox (each commit also nudges the relay).
  ...outboxEnv,
  /** Seconds a replica keeps a product or category in process (the shared cache keeps it a day). 0 turns the local copy off. */
  CATALOG_LOCAL_TTL: z.coerce.number().int().min(0).max(3600).default(30),
  /**
   * Days a handled inventory command stays in the inbox (its message id, to recognise a
   * redelivery). Redeliveries come within minutes; orders stay idempotent per order id after that.
   */
  CATALOG_INBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  /** Seeds the sample catalog (Electronics, Books, ...) at start, idempotently. `npm start`'s embedded mode sets it. */
  SEED_SAMPLE_CATALOG: bool(false),
  /** Re-publishes every product (catalog.product.upserted) at start, so read models created later converge. */
  CATALOG_ANNOUNCE_ON_START: bool(true),
};
export type CatalogConfig = z.infer<z.ZodObject<typeof catalogEnv>>;
export const loadCatalogConfig = (env?: Record<string, string | undefined>) => loadConfig(catalogEnv, env);
