import type { OutboxRecord } from '@app/platform';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrdersDeps } from '../deps.js';
import type { Order, OrderItem, Saga } from '../entities/index.js';

/**
 * What a step sees: the locked saga and its order (plain rows, written back when the transition
 * ends), inside the transaction that moves the saga.
 */
export interface StepContext {
  tx: EntityManager;
  deps: OrdersDeps;
  saga: Saga;
  order: Order;
  /** The order's items: loaded only when the transition asked for them (null otherwise; see SagaRepository.lock). */
  items: OrderItem[] | null;
  now: Date;
  /** The outbox rows of this transition (commands, the order's events): written with the saga, see SagaRepository.save. */
  outbox: OutboxRecord[];
}

/** A local step's (or local compensation's) outcome. A throw means "could not tell": retried later. */
export type LocalOutcome = { ok: true } | { ok: false; reason: string };

/**
 * An action of the saga, Medusa style: `remote` actions send a command (an outbox row of the
 * saga's transaction) and finish when the participant's reply arrives; `local` actions run in
 * this process, with the saga row locked, and finish at once.
 */
export type SagaAction =
  | { name: string; kind: 'remote'; send(ctx: StepContext): void }
  | { name: string; kind: 'local'; run(ctx: StepContext): Promise<LocalOutcome> };

/** A forward step: the state the saga shows while it runs, and what undoes it. */
export type SagaStepDefinition = SagaAction & {
  state: string;
  /** Undoes the step; runs (in reverse order) when a later step fails, times out or the order is cancelled. */
  compensation?: SagaAction;
};
