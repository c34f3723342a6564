import type { Context } from '@opentelemetry/api';
import {
  attemptDelivery,
  buildDeadLetter,
  type DeliveryOutcome,
  once,
  type ResolvedSubscribeOptions,
  type TraceHeaders,
} from './delivery.js';
import type { Handler, Subscription } from './event-bus.js';
import type { EventLogger } from './logger.js';
import type { DurableSubject } from './schemas.js';

interface QueuedMessage {
  raw: string;
  /** The publisher's trace (tracedPublish), when it published inside one. */
  trace?: TraceHeaders;
  deliveries: number;
  /** Epoch ms before which the message must not be redelivered (backoff). */
  availableAt: number;
}

interface Member {
  handler: Handler<DurableSubject>;
  /** The context subscribe() was called in: its consumer spans start there (consumeInSpan). */
  context: Context;
  busy: boolean;
  current?: Promise<void>;
}

export interface MemoryDurableHost {
  logger: EventLogger;
  /** True once the bus closes: nothing more is delivered. */
  closing: () => boolean;
  /** Every delivery still running, for close() to wait on. */
  inFlight: Set<Promise<void>>;
  /** Stores a message that ran out of attempts as a dead letter (the bus's `dlq.<subject>`). */
  deadLetter: (subject: DurableSubject, durable: string, deadLetter: string) => void;
}

/**
 * The in-memory counterpart of a JetStream durable consumer: one queue, competing members, a
 * message handed to one idle member at a time, retried after its backoff or dead-lettered.
 * It outlives its members, as a durable consumer outlives its subscribers.
 */
export class MemoryDurable {
  private queue: QueuedMessage[];
  private members: Member[] = [];
  private nextMember = 0;
  /** Deliveries whose handler still runs (members that left included): what `serial` waits for. */
  private active = 0;
  private pumpScheduled = false;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly subject: DurableSubject,
    private options: ResolvedSubscribeOptions,
    /** Messages already kept (a durable that starts at 'stored'), oldest first. */
    stored: string[],
    private readonly host: MemoryDurableHost,
  ) {
    this.queue = stored.map((raw) => ({ raw, deliveries: 0, availableAt: 0 }));
  }

  /** Create-or-update, like the JetStream consumer. */
  update(options: ResolvedSubscribeOptions): void {
    this.options = options;
  }

  join(handler: Handler<DurableSubject>, context: Context): Subscription {
    const member: Member = { handler, context, busy: false };
    this.members.push(member);
    this.schedulePump();
    return {
      unsubscribe: once(async () => {
        // The queue outlives its members, like a durable consumer.
        this.members = this.members.filter((m) => m !== member);
        await member.current;
      }),
    };
  }

  enqueue(raw: string, trace?: TraceHeaders): void {
    this.queue.push({ raw, trace, deliveries: 0, availableAt: 0 });
    this.schedulePump();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.host.closing()) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Hands every ready message to an idle member; re-arms a timer for messages still in backoff. */
  private pump(): void {
    if (this.host.closing()) return;
    if (this.options.serial) {
      this.pumpSerial();
      return;
    }
    const now = Date.now();
    let nextAvailableAt = Infinity;
    for (let i = 0; i < this.queue.length; ) {
      const message = this.queue[i]!;
      if (message.availableAt > now) {
        nextAvailableAt = Math.min(nextAvailableAt, message.availableAt);
        i++;
        continue;
      }
      const member = this.nextIdleMember();
      if (!member) break; // a member finishing re-runs the pump
      this.queue.splice(i, 1);
      this.deliver(member, message);
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    if (nextAvailableAt !== Infinity) {
      this.timer = setTimeout(() => this.schedulePump(), nextAvailableAt - now);
    }
  }

  /** Like a JetStream consumer with max_ack_pending 1: the head of the queue only, and only when nothing is in flight. */
  private pumpSerial(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const head = this.queue[0];
    if (!head || this.active > 0) return;
    const wait = head.availableAt - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => this.schedulePump(), wait);
      return;
    }
    const member = this.nextIdleMember();
    if (!member) return;
    this.queue.shift();
    this.deliver(member, head);
  }

  private nextIdleMember(): Member | undefined {
    const count = this.members.length;
    for (let step = 0; step < count; step++) {
      const index = (this.nextMember + step) % count;
      const member = this.members[index]!;
      if (!member.busy) {
        this.nextMember = index + 1;
        return member;
      }
    }
    return undefined;
  }

  private deliver(member: Member, message: QueuedMessage): void {
    member.busy = true;
    this.active++;
    message.deliveries++;
    const { options } = this;
    const handlerRuns: Promise<unknown>[] = [];
    // Emulates ack wait: a handler that outlives it counts as a failed attempt.
    const handler: Handler<DurableSubject> = (event) => {
      const run = Promise.resolve().then(() => member.handler(event));
      handlerRuns.push(run.catch(() => {}));
      return withTimeout(run, options.ackWaitMs, `handler did not finish within ack wait (${options.ackWaitMs} ms)`);
    };
    const work = (async () => {
      const outcome = await attemptDelivery({
        subject: this.subject,
        raw: message.raw,
        deliveries: message.deliveries,
        durable: options.durable,
        handler,
        options,
        logger: this.host.logger,
        trace: { system: 'memory', subscriberContext: member.context, headers: message.trace },
      });
      this.settle(message, outcome);
      // The member stays busy while a timed-out handler still runs, as a sequential consume loop would.
      await Promise.all(handlerRuns);
    })()
      .catch((err) => this.host.logger.error({ err, subject: this.subject }, 'event delivery failed'))
      .finally(() => {
        member.busy = false;
        this.active--;
        member.current = undefined;
        this.host.inFlight.delete(work);
        this.schedulePump();
      });
    member.current = work;
    this.host.inFlight.add(work);
  }

  private settle(message: QueuedMessage, outcome: DeliveryOutcome): void {
    switch (outcome.action) {
      case 'ack':
        return;
      case 'retry':
        message.availableAt = Date.now() + outcome.delayMs;
        this.queue.unshift(message);
        this.schedulePump();
        return;
      case 'dead-letter': {
        const { durable } = this.options;
        const deadLetter = buildDeadLetter({
          subject: this.subject,
          data: message.raw,
          error: outcome.error,
          consumer: durable,
          deliveries: message.deliveries,
        });
        this.host.logger.warn({ subject: this.subject, durable, error: outcome.error }, 'event dead-lettered');
        this.host.deadLetter(this.subject, durable, JSON.stringify(deadLetter));
        return;
      }
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
