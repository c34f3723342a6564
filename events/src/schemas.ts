import { z } from 'zod';
import { EventBusConfigError } from './errors.js';
import { ORDER_STATUSES, SAGA_STATUSES } from './order-statuses.js';
import { DEAD_LETTER_DOMAIN, domainOf, EVENT_STREAM_DOMAINS, Subjects } from './subjects.js';

// Producers serialise Dates with toISOString(), but accept explicit offsets from other stacks.
const isoDateTime = () => z.iso.datetime({ offset: true });
const decimalString = () => z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string');
/**
 * A product's stock level after a change. `version` counts the product's stock changes (a later
 * change, a greater one), so a listener keeps the newest whatever order the events come in; an
 * event without one (from a catalog that predates it) is taken as it comes.
 */
const stockLevel = () =>
  z.object({
    productId: z.uuid(),
    newQuantity: z.number().int().nonnegative(),
    updatedAt: isoDateTime(),
    version: z.number().int().nonnegative().optional(),
  });

/** Subject -> payload schema for durable (JetStream) events. The single source of payload types. */
export const durableEventSchemas = {
  [Subjects.AuthUserRegistered]: z.object({
    userId: z.uuid(),
    username: z.string().min(1),
    /** Null for an account created by LINE Login without an email. */
    email: z.email().nullable(),
    occurredAt: isoDateTime(),
    /** What the sign-in provider (LINE) says about the person: the profile starts with it. */
    displayName: z.string().min(1).max(100).optional(),
    pictureUrl: z
      .url({ protocol: /^https$/ })
      .max(2048)
      .optional(),
  }),
  [Subjects.AuthUserLoggedIn]: z.object({
    userId: z.uuid(),
    at: isoDateTime(),
  }),
  [Subjects.UsersUserDeleted]: z.object({
    userId: z.uuid(),
    requestedAt: isoDateTime(),
  }),
  [Subjects.UsersUserErased]: z.object({
    userId: z.uuid(),
    service: z.string().min(1),
    erasedAt: isoDateTime(),
  }),

  [Subjects.CatalogProductUpserted]: z.object({
    productId: z.uuid(),
    name: z.string().min(1),
    /** Exact decimal as a string ("149900", "12.50"): never a float on the wire. */
    price: decimalString(),
    categoryId: z.uuid().nullable(),
    updatedAt: isoDateTime(),
  }),
  [Subjects.CatalogProductDeleted]: z.object({ productId: z.uuid(), deletedAt: isoDateTime() }),
  [Subjects.CatalogStockChanged]: stockLevel(),
  /** Orchestrator -> catalog: reserve every line or none. */
  [Subjects.CatalogInventoryReserve]: z.object({
    sagaId: z.uuid(),
    orderId: z.uuid(),
    items: z.array(z.object({ productId: z.uuid(), quantity: z.number().int().positive() })).min(1),
  }),
  /** Orchestrator -> catalog: give back what was reserved for the order (compensation). */
  [Subjects.CatalogInventoryRelease]: z.object({ sagaId: z.uuid(), orderId: z.uuid(), reason: z.string() }),
  /** Orchestrator -> catalog: the order is confirmed; the reservation becomes a sale. */
  [Subjects.CatalogInventoryCommit]: z.object({ sagaId: z.uuid(), orderId: z.uuid() }),
  [Subjects.CatalogInventoryReserved]: z.object({ sagaId: z.uuid(), orderId: z.uuid() }),
  [Subjects.CatalogInventoryReservationFailed]: z.object({ sagaId: z.uuid(), orderId: z.uuid(), reason: z.string() }),
  [Subjects.CatalogInventoryReleased]: z.object({ sagaId: z.uuid(), orderId: z.uuid() }),
  [Subjects.CatalogInventoryCommitted]: z.object({ sagaId: z.uuid(), orderId: z.uuid() }),
  [Subjects.OrdersOrderUpdated]: z.object({
    orderId: z.uuid(),
    userId: z.uuid(),
    status: z.enum(ORDER_STATUSES),
    sagaStatus: z.enum(SAGA_STATUSES).nullable(),
    currentStep: z.string().nullable(),
    occurredAt: isoDateTime(),
  }),
  /**
   * One event of a signed LINE webhook batch, as LINE sent it. Loose on purpose: LINE adds
   * fields and event types without notice; the gateway's consumer parses it into its own union.
   */
  [Subjects.LineWebhookReceived]: z.object({
    /** The bot's user id the batch was sent to. */
    destination: z.string().min(1),
    receivedAt: isoDateTime(),
    event: z.looseObject({ type: z.string().min(1), webhookEventId: z.string().min(1), timestamp: z.number() }),
  }),
} as const;

/** Subject -> payload schema for fan-out (core NATS) messages. */
export const fanoutEventSchemas = {
  [Subjects.CacheProfileInvalidated]: z.object({
    userId: z.uuid(),
  }),
  [Subjects.CacheKeyInvalidated]: z.object({
    keys: z.array(z.string().min(1)).min(1),
  }),
  [Subjects.CacheAccountInvalidated]: z.object({
    userId: z.uuid(),
  }),

  /**
   * An order changed. Gateways resolve the subscriber's selection from the key (orderId), then lay
   * this transition's own state over it, so a subscriber sees every transition even when two
   * follow each other faster than the resolution.
   */
  [Subjects.LiveOrderUpdated]: z.object({
    orderId: z.uuid(),
    userId: z.uuid(),
    /** Increases with every transition of the order: lets a gateway drop a late, older event. */
    version: z.number().int().nonnegative(),
    status: z.enum(ORDER_STATUSES),
    updatedAt: isoDateTime(),
    sagaState: z
      .object({
        state: z.string(),
        status: z.enum(SAGA_STATUSES),
        currentStep: z.string().nullable(),
        completedSteps: z.array(z.string()),
        failureReason: z.string().nullable(),
        startedAt: isoDateTime(),
        completedAt: isoDateTime().nullable(),
      })
      .nullable(),
  }),
  [Subjects.LiveStockUpdated]: stockLevel(),

  /**
   * A revocation auth has just written to the shared cache, which stays the truth: every token
   * verifier adds it to the list it keeps in memory (platform RevocationList), so a revoked token
   * is refused without a cache round trip per request.
   */
  [Subjects.SecurityRevocationAdded]: z.object({
    /** `token`: one access token (by jti); `session`: every token of a login session (sid); `user`: every token of a user issued up to `revokedAt`. */
    kind: z.enum(['token', 'session', 'user']),
    id: z.string().min(1).max(200),
    /** Epoch seconds, auth's clock (the one tokens' `iat` comes from). */
    revokedAt: z.number().int().nonnegative(),
    /** How long the marker lives in the shared cache: longer than any token it refuses. */
    ttlSeconds: z.number().positive(),
    /**
     * The shared revision counter once this revocation was written (null when it could not be
     * counted): a verifier that sees the counter pass a revision it never received knows it missed one.
     */
    revision: z.number().int().positive().nullable(),
  }),
} as const;

export const eventSchemas = { ...durableEventSchemas, ...fanoutEventSchemas };

export type DurableSubject = keyof typeof durableEventSchemas;
export type FanoutSubject = keyof typeof fanoutEventSchemas;
export type Subject = DurableSubject | FanoutSubject;
export type PayloadOf<S extends Subject> = z.infer<(typeof eventSchemas)[S]>;

export const durableSubjects = Object.keys(durableEventSchemas) as DurableSubject[];
export const fanoutSubjects = Object.keys(fanoutEventSchemas) as FanoutSubject[];

export function isDurableSubject(subject: string): subject is DurableSubject {
  return Object.hasOwn(durableEventSchemas, subject);
}

export function isFanoutSubject(subject: string): subject is FanoutSubject {
  return Object.hasOwn(fanoutEventSchemas, subject);
}

/**
 * Guards the catalog against the stream layout: a durable subject outside the EVENTS domains
 * could not be published, and a fan-out subject inside them would be stored.
 */
export function assertCatalogFitsStreams(): void {
  const eventDomains: readonly string[] = EVENT_STREAM_DOMAINS;
  const uncaptured = durableSubjects.filter((s) => !eventDomains.includes(domainOf(s)));
  const captured = fanoutSubjects.filter((s) => eventDomains.includes(domainOf(s)) || domainOf(s) === DEAD_LETTER_DOMAIN);
  if (uncaptured.length > 0 || captured.length > 0) {
    throw new EventBusConfigError(
      `subject catalog does not fit the streams: durable not captured [${uncaptured.join(', ')}], fan-out captured [${captured.join(', ')}]`,
    );
  }
}

/** The wire format: every message (durable or fan-out) is one JSON envelope. */
const envelopeBase = {
  id: z.string().min(1),
  occurredAt: isoDateTime(),
};

const envelopeSchemaCache = new Map<Subject, z.ZodType>();

export function envelopeSchemaFor(subject: Subject): z.ZodType {
  let schema = envelopeSchemaCache.get(subject);
  if (!schema) {
    schema = z.object({ ...envelopeBase, subject: z.literal(subject), data: eventSchemas[subject] });
    envelopeSchemaCache.set(subject, schema);
  }
  return schema;
}

export const deadLetterSchema = z.object({
  /** The original subject, without namespace. */
  subject: z.string().min(1),
  /** The original message body, verbatim. */
  data: z.string(),
  error: z.string(),
  /** Durable name of the consumer that gave up. */
  consumer: z.string(),
  deliveries: z.number().int().nonnegative(),
  failedAt: isoDateTime(),
});

export type DeadLetter = z.infer<typeof deadLetterSchema>;
