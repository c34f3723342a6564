export const EventErrorCode = {
  EVENT_INVALID: 'EVENT_INVALID',
  EVENT_UNKNOWN_SUBJECT: 'EVENT_UNKNOWN_SUBJECT',
  EVENT_PUBLISH_FAILED: 'EVENT_PUBLISH_FAILED',
  EVENT_BUS_CLOSED: 'EVENT_BUS_CLOSED',
  EVENT_BUS_CONFIG: 'EVENT_BUS_CONFIG',
  DEAD_LETTER_NOT_FOUND: 'DEAD_LETTER_NOT_FOUND',
  DEAD_LETTER_NOT_REPLAYABLE: 'DEAD_LETTER_NOT_REPLAYABLE',
} as const;
export type EventErrorCode = (typeof EventErrorCode)[keyof typeof EventErrorCode];

export class EventBusError extends Error {
  override name = 'EventBusError';
  constructor(
    readonly code: EventErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A payload (or envelope) failed its schema. `issues` is zod's human-readable summary. */
export class InvalidEventError extends EventBusError {
  override name = 'InvalidEventError';
  constructor(
    readonly subject: string,
    readonly issues: string,
    options?: { cause?: unknown },
  ) {
    super(EventErrorCode.EVENT_INVALID, `Invalid event on ${subject}: ${issues}`, options);
  }
}

/** Guards JavaScript callers and dynamic subjects that bypass the compile-time check. */
export class UnknownSubjectError extends EventBusError {
  override name = 'UnknownSubjectError';
  constructor(
    readonly subject: string,
    expected: 'durable' | 'fan-out',
  ) {
    super(EventErrorCode.EVENT_UNKNOWN_SUBJECT, `${subject} is not a known ${expected} subject`);
  }
}

export class EventPublishError extends EventBusError {
  override name = 'EventPublishError';
  constructor(
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(EventErrorCode.EVENT_PUBLISH_FAILED, `Failed to publish to ${subject}${reason}`, options);
  }
}

export class EventBusClosedError extends EventBusError {
  override name = 'EventBusClosedError';
  constructor() {
    super(EventErrorCode.EVENT_BUS_CLOSED, 'The event bus is closed');
  }
}

export class EventBusConfigError extends EventBusError {
  override name = 'EventBusConfigError';
  constructor(message: string) {
    super(EventErrorCode.EVENT_BUS_CONFIG, message);
  }
}

/** No dead letter with this sequence in the store (never stored, replayed, discarded or aged out). */
export class DeadLetterNotFoundError extends EventBusError {
  override name = 'DeadLetterNotFoundError';
  constructor(readonly seq: number) {
    super(EventErrorCode.DEAD_LETTER_NOT_FOUND, `No dead letter with sequence ${seq}`);
  }
}

/** A replay that would only be dead-lettered again: the stored message is still not a valid event. */
export class DeadLetterNotReplayableError extends EventBusError {
  override name = 'DeadLetterNotReplayableError';
  constructor(
    readonly seq: number,
    readonly reason: string,
  ) {
    super(EventErrorCode.DEAD_LETTER_NOT_REPLAYABLE, `Dead letter ${seq} cannot be replayed: ${reason}`);
  }
}
