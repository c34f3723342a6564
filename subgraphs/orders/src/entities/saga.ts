import { SAGA_STATUSES } from '@app/events';
import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { Order } from './order.js';

/**
 * The order saga's state (one per order). Every change happens in a transaction that holds this
 * row's lock and writes the order's events and the saga's next commands to the outbox.
 */
export const Saga = defineEntity({
  name: 'Saga',
  tableName: 'sagas',
  properties: {
    /** The saga id (`sagaId` of the inventory commands). */
    id: p
      .uuid()
      .primary()
      .onCreate(() => crypto.randomUUID()),
    order: p.manyToOne(Order).mapToPk().deleteRule('cascade'),
    /** Lower-case state: started, processing_payment, confirming, completed, compensating, failed, cancelled. */
    state: p.string().length(32),
    status: p.string().length(16),
    /** The forward step in progress, or while compensating: refund_payment / release_inventory. */
    currentStep: p.string().length(32).nullable(),
    /** Forward steps done, in order. */
    completedSteps: p.json<string[]>(),
    /** Compensations still to run, in order (forward steps, latest first). */
    pendingCompensations: p.json<string[]>(),
    failureReason: p.string().length(1000).nullable(),
    /** State a compensation ends in: `failed` (a step failed or timed out) or `cancelled` (asked for). */
    terminalState: p.string().length(16).nullable(),
    /** charged | declined | refunded (null: no charge recorded). */
    paymentStatus: p.string().length(16).nullable(),
    paymentId: p.string().length(100).nullable(),
    /** When the current step began (a local step's timeout counts from here). */
    stepStartedAt: p.datetime(),
    /**
     * When the sweeper must look at this saga: a remote step's timeout, or when to retry a local
     * step that did not finish. Null once the saga has ended.
     */
    deadlineAt: p.datetime().nullable().index(),
    startedAt: p.datetime(),
    completedAt: p.datetime().nullable(),
    updatedAt: p.datetime(),
  },
  uniques: [{ properties: ['order'] }],
  checks: [{ name: 'sagas_status_check', expression: `status in (${SAGA_STATUSES.map((s) => `'${s}'`).join(', ')})` }],
});
export type Saga = InferEntity<typeof Saga>;
