import { z } from 'zod';
import { EventBusConfigError } from './errors.js';
import { DEAD_LETTER_DOMAIN, EVENT_STREAM_DOMAINS, Subjects, domainOf } from './subjects.js';

// Producers serialise Dates with toISOString(), but accept explicit offsets from other stacks.
const isoDateTime = () => z.iso.datetime({ offset: true });

/** Subject -> payload schema for durable (JetStream) events. The single source of payload types. */
export const durableEventSchemas = {
  [Subjects.AuthUserRegistered]: z.object({
    userId: z.uuid(),
    username: z.string().min(1),
    email: z.email(),
    occurredAt: isoDateTime(),
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
} as const;

/** Subject -> payload schema for fan-out (core NATS) messages. */
export const fanoutEventSchemas = {
  [Subjects.CacheProfileInvalidated]: z.object({
    userId: z.uuid(),
  }),
  [Subjects.CacheKeyInvalidated]: z.object({
    keys: z.array(z.string().min(1)).min(1),
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
