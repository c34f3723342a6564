import type { EventBus } from '@app/events';
import type { Logger, OutboxRecord } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrdersConfig } from './config.js';
import type { PaymentProvider } from './payment/payment-provider.js';

export interface OrdersDeps {
  em: EntityManager;
  bus: EventBus;
  config: OrdersConfig;
  logger: Logger;
  payments: PaymentProvider;
  /** Asks the outbox relay to publish now (called after every commit that wrote to the outbox). */
  nudgeOutbox(): void;
  /** After a commit that wrote these outbox rows: publishes them now (OutboxRelay.publishCommitted; the saga's path). */
  publishCommitted(records: readonly OutboxRecord[]): void;
  /** Runs the saga's due local actions (payment, refund) soon, in the background (see LocalStepRunner). */
  runLocalSteps(sagaId: string): void;
  /**
   * Optional: a local action a reply makes due runs inside that reply's transaction when the
   * provider answers within a budget (saga/inline-local-action.ts). Absent: always in the background.
   */
  inlineLocal?: InlineLocalSteps;
}

/** Settings and state of running a local action inside the reply's transaction (see saga/inline-local-action.ts). */
export interface InlineLocalSteps {
  /** How long a provider call may take there. */
  budgetMs: number;
  /** After a call that did not answer in time (or failed), how long every action goes to the background runner. */
  coolDownMs: number;
  /** Until when (epoch ms) actions go to the background runner. */
  slowUntil: number;
}
