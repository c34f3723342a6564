/**
 * Every event subject, named `<domain>.<entity>.<event>`.
 * To add one: add the constant here, then its payload schema in schemas.ts
 * (durable or fan-out). If it opens a new durable domain, list it in EVENT_STREAM_DOMAINS.
 */
export const Subjects = {
  // Durable (JetStream): stored, retried, dead-lettered.
  AuthUserRegistered: 'auth.user.registered',
  AuthUserLoggedIn: 'auth.user.logged_in',
  UsersUserDeleted: 'users.user.deleted',
  UsersUserErased: 'users.user.erased',
  // Catalog: the product read-model other services keep, and inventory as a saga participant.
  CatalogProductUpserted: 'catalog.product.upserted',
  CatalogProductDeleted: 'catalog.product.deleted',
  CatalogStockChanged: 'catalog.stock.changed',
  CatalogInventoryReserve: 'catalog.inventory.reserve',
  CatalogInventoryRelease: 'catalog.inventory.release',
  CatalogInventoryCommit: 'catalog.inventory.commit',
  CatalogInventoryReserved: 'catalog.inventory.reserved',
  CatalogInventoryReservationFailed: 'catalog.inventory.reservation_failed',
  CatalogInventoryReleased: 'catalog.inventory.released',
  /** No longer sent: a commit is one-way. Kept so a reply from an earlier catalog is still understood. */
  CatalogInventoryCommitted: 'catalog.inventory.committed',
  // Orders: every status or saga transition of an order.
  OrdersOrderUpdated: 'orders.order.updated',
  // LINE: a signed webhook event, stored before the webhook answers 200 (processed by the gateway).
  LineWebhookReceived: 'line.webhook.received',
  // Fan-out (core NATS): every replica gets every message, nothing is stored.
  CacheProfileInvalidated: 'cache.profile.invalidated',
  CacheKeyInvalidated: 'cache.key.invalidated',
  // An account erased: auth's replicas drop their copy of what the User type shows of it.
  CacheAccountInvalidated: 'cache.account.invalidated',
  // Live updates for GraphQL subscriptions: every gateway replica hears every one.
  LiveOrderUpdated: 'live.order.updated',
  LiveStockUpdated: 'live.stock.updated',
  // A token, session or user revoked by auth: every token verifier keeps the revocations in memory.
  SecurityRevocationAdded: 'security.revocation.added',
} as const;

/**
 * Domains captured by the EVENTS stream. Includes domains whose subjects do not exist yet,
 * so adding a subject there needs no stream migration.
 * Fan-out domains (`cache`, `live`, `security`) must never appear here: the stream would store every broadcast.
 */
export const EVENT_STREAM_DOMAINS = ['auth', 'users', 'workouts', 'catalog', 'orders', 'relmap', 'line'] as const;

/** Prefix of the dead-letter subjects (`dlq.<original subject>`), captured by the DLQ stream. */
export const DEAD_LETTER_DOMAIN = 'dlq';

export function deadLetterSubject(subject: string): string {
  return `${DEAD_LETTER_DOMAIN}.${subject}`;
}

export function domainOf(subject: string): string {
  return subject.split('.', 1)[0] ?? '';
}

/** True when one of the bus's streams stores messages on this (un-namespaced) subject. */
export function isStoredSubject(subject: string): boolean {
  const domain = domainOf(subject);
  return domain === DEAD_LETTER_DOMAIN || (EVENT_STREAM_DOMAINS as readonly string[]).includes(domain);
}
