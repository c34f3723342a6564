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
export { ORDER_STATUSES, SAGA_STATUSES, type OrderStatus, type SagaStatus } from './order-statuses.js';
export {
  INVENTORY_COMMAND_SUBJECTS,
  INVENTORY_REPLY_SUBJECTS,
  isInventoryCommandSubject,
  isInventoryReplySubject,
  type InventoryCommandSubject,
  type InventoryReplySubject,
  type InventoryCommand,
  type InventoryReplyPayload,
  type ReserveInventoryCommand,
  type ReleaseInventoryCommand,
  type CommitInventoryCommand,
} from './saga-messages.js';
export { userErasedMessage, type UserErasedMessage } from './user-erased-message.js';
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
  type StoredDeadLetter,
  type DeadLetterStats,
  type DeadLetteredCount,
  type ListDeadLettersOptions,
  type ReplayedDeadLetter,
} from './event-bus.js';
export {
  EventErrorCode,
  EventBusError,
  InvalidEventError,
  UnknownSubjectError,
  EventPublishError,
  EventBusClosedError,
  EventBusConfigError,
  DeadLetterNotFoundError,
  DeadLetterNotReplayableError,
} from './errors.js';
export { silentLogger, type EventLogger } from './logger.js';
export {
  NatsEventBus,
  consumerNameFor,
  natsConnectOptions,
  DEFAULT_STREAM_MAX_AGE_MS,
  DEFAULT_DEAD_LETTER_MAX_AGE_MS,
  type NatsEventBusOptions,
} from './nats-event-bus.js';
export { MemoryEventBus, type MemoryEventBusOptions } from './memory-event-bus.js';
