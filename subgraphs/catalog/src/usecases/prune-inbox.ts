import type { CatalogDeps } from '../deps.js';
import { InboxRepository } from '../repositories/index.js';

const DAY_MS = 86_400_000;

/**
 * Forgets inbox entries older than CATALOG_INBOX_RETENTION_DAYS. A message is redelivered within
 * minutes (ack wait x max deliveries) and JetStream's dedupe window is two minutes, so an entry
 * that old no longer protects anything; a very late copy of a command still finds its order's
 * decision in `inventory_orders` and changes nothing. Safe to run on every replica at once.
 */
export async function pruneInbox(deps: CatalogDeps, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - deps.config.CATALOG_INBOX_RETENTION_DAYS * DAY_MS);
  return new InboxRepository(deps.em.fork()).prune(before);
}
