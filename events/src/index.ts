export {
  DeadLetterNotFoundError,
  DeadLetterNotReplayableError,
  EventBusClosedError,
  EventBusConfigError,
  EventBusError,
  EventErrorCode,
  EventPublishError,
  InvalidEventError,
  UnknownSubjectError,
} from './errors.js';
export {
  type BroadcastOptions,
  type ConnectionListener,
  DEDUPE_WINDOW_MS,
  type DeadLetteredCount,
  type DeadLetterHandler,
  type DeadLetterStats,
  type EventBus,
  type EventEnvelope,
  type Handler,
  type ListDeadLettersOptions,
  type PublishOptions,
  type ReplayedDeadLetter,
  type StoredDeadLetter,
  type SubscribeOptions,
  type Subscription,
  subscribeDefaults,
} from './event-bus.js';
export { type EventLogger, silentLogger } from './logger.js';
export { MemoryEventBus, type MemoryEventBusOptions } from './memory-event-bus.js';
export { natsConnectOptions } from './nats-connect-options.js';
export { consumerNameFor, NatsEventBus, type NatsEventBusOptions } from './nats-event-bus.js';
export { DEFAULT_DEAD_LETTER_MAX_AGE_MS, DEFAULT_STREAM_MAX_AGE_MS } from './nats-streams.js';
export { ORDER_STATUSES, type OrderStatus, SAGA_STATUSES, type SagaStatus } from './order-statuses.js';
export {
  type CommitInventoryCommand,
  INVENTORY_COMMAND_SUBJECTS,
  INVENTORY_REPLY_SUBJECTS,
  type InventoryCommand,
  type InventoryCommandSubject,
  type InventoryReplyPayload,
  type InventoryReplySubject,
  isInventoryCommandSubject,
  isInventoryReplySubject,
  type ReleaseInventoryCommand,
  type ReserveInventoryCommand,
} from './saga-messages.js';
export {
  type DeadLetter,
  type DurableSubject,
  deadLetterSchema,
  durableEventSchemas,
  durableSubjects,
  eventSchemas,
  type FanoutSubject,
  fanoutEventSchemas,
  fanoutSubjects,
  isDurableSubject,
  isFanoutSubject,
  type PayloadOf,
  type Subject,
} from './schemas.js';
export { DEAD_LETTER_DOMAIN, deadLetterSubject, EVENT_STREAM_DOMAINS, Subjects } from './subjects.js';
export { type UserErasedMessage, userErasedMessage } from './user-erased-message.js';
