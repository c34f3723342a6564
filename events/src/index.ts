export { Subjects, EVENT_STREAM_DOMAINS, DEAD_LETTER_DOMAIN, deadLetterSubject } from './subjects.js';
export {
  durableEventSchemas,
  fanoutEventSchemas,
  eventSchemas,
  deadLetterSchema,
  durableSubjects,
  fanoutSubjects,
  isDurableSubject,
  isFanoutSubject,
  type DurableSubject,
  type FanoutSubject,
  type Subject,
  type PayloadOf,
  type DeadLetter,
} from './schemas.js';
export {
  DEDUPE_WINDOW_MS,
  subscribeDefaults,
  type EventBus,
  type EventEnvelope,
  type Handler,
  type DeadLetterHandler,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
} from './event-bus.js';
export {
  EventErrorCode,
  EventBusError,
  InvalidEventError,
  UnknownSubjectError,
  EventPublishError,
  EventBusClosedError,
  EventBusConfigError,
} from './errors.js';
export { silentLogger, type EventLogger } from './logger.js';
export { NatsEventBus, consumerNameFor, natsConnectOptions, type NatsEventBusOptions } from './nats-event-bus.js';
export { MemoryEventBus, type MemoryEventBusOptions } from './memory-event-bus.js';
