import type { EventBus } from '@app/events';
import type { Logger } from '@app/platform';
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
  /** Runs the saga's due local actions (payment, refund) soon, in the background (see LocalStepRunner). */
  runLocalSteps(sagaId: string): void;
}
