import { executePrepared, LAST_STATEMENT, type OutboxRecord, outboxInsert, serviceSchema } from '@app/platform';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type Order, OrderItem, Saga } from '../entities/index.js';

export interface LockedSaga {
  saga: Saga;
  order: Order;
  /** The order's items, when asked for (`withItems`); null otherwise (most transitions do not need them). */
  items: OrderItem[] | null;
}

/** Property -> column of the saga and order rows a transition reads (and writes back, see `save`). */
const SAGA_COLUMNS = {
  id: 'id',
  order: 'order_id',
  state: 'state',
  status: 'status',
  currentStep: 'current_step',
  completedSteps: 'completed_steps',
  pendingCompensations: 'pending_compensations',
  failureReason: 'failure_reason',
  terminalState: 'terminal_state',
  paymentStatus: 'payment_status',
  paymentId: 'payment_id',
  stepStartedAt: 'step_started_at',
  deadlineAt: 'deadline_at',
  startedAt: 'started_at',
  completedAt: 'completed_at',
  updatedAt: 'updated_at',
} as const satisfies Partial<Record<keyof Saga, string>>;
const ORDER_COLUMNS = {
  id: 'id',
  userId: 'user_id',
  status: 'status',
  totalAmount: 'total_amount',
  version: 'version',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
} as const satisfies Partial<Record<keyof Order, string>>;

/** Timestamp columns: read as ISO strings (`to_json`), whatever text format the driver is set to, then made Dates. */
const DATES = new Set(['step_started_at', 'deadline_at', 'started_at', 'completed_at', 'updated_at', 'created_at']);

const selectList = (alias: string, columns: Record<string, string>) =>
  Object.values(columns).map((c) => `${DATES.has(c) ? `to_json(${alias}.${c})` : `${alias}.${c}`} as ${alias}__${c}`);
const fromRow = <T>(row: Record<string, unknown>, alias: string, columns: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(columns).map(([prop, column]) => {
      const value = row[`${alias}__${column}`];
      return [prop, DATES.has(column) && value != null ? new Date(value as string) : value];
    }),
  ) as T;

/**
 * Sagas, always changed with their row locked (`FOR UPDATE`) for the rest of the caller's
 * transaction: replies, the sweeper, cancellations and local steps of one saga never interleave.
 *
 * A transition reads and writes with plain SQL, one statement each way (`lock`, `save`): it is the
 * saga's hot path (two or three per order), and as ORM work it was most of the service's CPU.
 */
/**
 * The values of the columns a transition moves, in this order: state, status, current_step,
 * completed_steps, pending_compensations, failure_reason, terminal_state, payment_status,
 * payment_id, step_started_at, deadline_at.
 */
export const sagaProgressValues = (saga: Saga): unknown[] => [
  saga.state,
  saga.status,
  saga.currentStep ?? null,
  JSON.stringify(saga.completedSteps),
  JSON.stringify(saga.pendingCompensations),
  saga.failureReason ?? null,
  saga.terminalState ?? null,
  saga.paymentStatus ?? null,
  saga.paymentId ?? null,
  saga.stepStartedAt,
  saga.deadlineAt ?? null,
];

export class SagaRepository {
  constructor(private readonly em: EntityManager) {}

  private get schema() {
    return serviceSchema(this.em);
  }

  /**
   * The saga and its order, both rows locked in one statement (saga first, as everywhere), as
   * plain objects (write them back with `save`), and, `withItems`, the order's items; null when
   * there is no such saga. `skipLocked`: null when another transaction holds either row.
   * `claim`: a message id first recorded in the inbox (`processed_messages`) by the same statement
   * (a concurrent handling of it waits there for this transaction); null, the saga left alone,
   * when it was there already (the message was handled).
   */
  async lock(
    where: { id: string } | { order: string },
    opts: { skipLocked?: boolean; withItems?: boolean; claim?: string } = {},
  ): Promise<LockedSaga | null> {
    // Skipped for a lock would leave the message recorded as handled: never both.
    if (opts.claim && opts.skipLocked) throw new Error('a claimed message must wait for its saga, not skip it');
    const claim = opts.claim
      ? `with claim as (insert into ${this.schema}.processed_messages (id, processed_at) values (?, ?) on conflict (id) do nothing returning 1) `
      : '';
    const [row] = await executePrepared(
      this.em,
      `${claim}select ${[...(claim ? ['(select count(*) from claim)::int as claimed'] : []), ...selectList('s', SAGA_COLUMNS), ...selectList('o', ORDER_COLUMNS)].join(', ')}
       from ${this.schema}.sagas s join ${this.schema}.orders o on o.id = s.order_id
       where ${'id' in where ? 's.id' : 's.order_id'} = ? for update of s, o${opts.skipLocked ? ' skip locked' : ''}`,
      [...(opts.claim ? [opts.claim, new Date()] : []), 'id' in where ? where.id : where.order],
    );
    if (!row || (claim && row.claimed !== 1)) return null;
    const saga = fromRow<Saga>(row, 's', SAGA_COLUMNS);
    const order = fromRow<Order>(row, 'o', ORDER_COLUMNS);
    const items = opts.withItems ? await this.em.find(OrderItem, { order: order.id }, { orderBy: [{ position: 'asc' }] }) : null;
    return { saga, order, items };
  }

  /**
   * Writes a locked saga and its order back (every field a transition may change) and inserts
   * the transition's outbox rows, in one statement. `last`: nothing else runs in the transaction
   * after it, so it goes out with the COMMIT (LAST_STATEMENT: one round trip for both).
   */
  async save(
    { saga, order }: Pick<LockedSaga, 'saga' | 'order'>,
    outbox: readonly OutboxRecord[],
    opts: { last?: boolean } = {},
  ): Promise<void> {
    const insert = outboxInsert(this.em, outbox);
    await executePrepared(
      this.em,
      `${opts.last ? `${LAST_STATEMENT} ` : ''}with saga as (
         update ${this.schema}.sagas set state = ?, status = ?, current_step = ?, completed_steps = ?::jsonb,
           pending_compensations = ?::jsonb, failure_reason = ?, terminal_state = ?, payment_status = ?, payment_id = ?,
           step_started_at = ?, deadline_at = ?, completed_at = ?, updated_at = ? where id = ?),
       ord as (update ${this.schema}.orders set status = ?, version = ?, updated_at = ? where id = ?)
       ${insert?.sql ?? 'select 1'}`,
      [
        ...sagaProgressValues(saga),
        saga.completedAt ?? null,
        saga.updatedAt,
        saga.id,
        order.status,
        order.version,
        order.updatedAt,
        order.id,
        ...(insert?.params ?? []),
      ],
    );
  }

  /** Ids of sagas whose deadline has passed (a step to time out or a local action to retry), oldest first. */
  async dueIds(now: Date, limit: number): Promise<string[]> {
    const rows = await this.em.find(Saga, { deadlineAt: { $lte: now } }, { fields: ['id'], orderBy: [{ deadlineAt: 'asc' }], limit });
    return rows.map((r) => r.id);
  }

  /**
   * Every saga of these orders, locked in id order (the erasure, before it deletes the orders).
   * Finished sagas too: every other transaction locks a saga before its order, so deleting an
   * order (whose saga goes with it) without holding its saga first could deadlock with a
   * shipOrder, a cancelOrder or a late reply on that order.
   */
  lockAllOf(orderIds: readonly string[]): Promise<Saga[]> {
    if (orderIds.length === 0) return Promise.resolve([]);
    return this.em.find(Saga, { order: { $in: [...orderIds] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
  }
}
