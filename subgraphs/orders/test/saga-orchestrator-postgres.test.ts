/**
 * The orchestrator applied to locked rows on the real Postgres, through the use cases that drive
 * it (a reply's handler, the local-step runner's use case, the sweeper's, cancelOrder): the saga
 * row, the order's status and version, the commands and events in the outbox, the local actions
 * queued, and the inbox that makes a duplicated message harmless.
 */
import { randomUUID } from 'node:crypto';
import { Subjects } from '@app/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocalAction } from '../src/saga/orchestrator.js';
import { SagaCompensation as C, SagaStep as S } from '../src/saga/saga-names.js';
import { onLockedSaga } from '../src/saga/saga-transaction.js';
import { cancelOrder } from '../src/usecases/cancel-order.js';
import { handleInventoryReply } from '../src/usecases/handle-inventory-reply.js';
import { runSagaLocalSteps } from '../src/usecases/run-saga-local-steps.js';
import { sweepSagas } from '../src/usecases/sweep-sagas.js';
import { type OrdersTestDatabase, openOrdersTestDatabase, reply } from './support/orders-test-database.js';

const COMMANDS = new Set<string>([Subjects.CatalogInventoryReserve, Subjects.CatalogInventoryCommit, Subjects.CatalogInventoryRelease]);
const past = (ms = 1) => new Date(Date.now() - ms);

let db: OrdersTestDatabase;

beforeAll(async () => {
  db = await openOrdersTestDatabase({ stepTimeoutSeconds: 30 });
});

afterAll(async () => {
  await db?.close();
});

const commandsOf = async (orderId: string) => (await db.outbox(orderId)).filter((m) => COMMANDS.has(m.subject));
const eventsOf = async (orderId: string) => (await db.outbox(orderId)).filter((m) => m.subject === Subjects.OrdersOrderUpdated);
const queuedFor = (sagaId: string) => db.queued.filter((id) => id === sagaId).length;

describe('the saga orchestrator on Postgres', () => {
  it('createOrder starts the saga: reserve command and the first events, in the same transaction', async () => {
    const { orderId, sagaId } = await db.placeOrder(2);
    const { saga, order } = await db.read(orderId);
    expect(saga).toMatchObject({ state: 'started', status: 'STARTED', currentStep: S.ReserveInventory, completedSteps: [] });
    expect(saga.deadlineAt!.getTime() - saga.stepStartedAt.getTime()).toBe(30_000);
    expect(order).toMatchObject({ status: 'PROCESSING', version: 1 });
    const commands = await commandsOf(orderId);
    expect(commands).toEqual([
      { subject: Subjects.CatalogInventoryReserve, payload: { sagaId, orderId, items: [{ productId: db.productId, quantity: 2 }] } },
    ]);
    expect(await eventsOf(orderId)).toHaveLength(1);
  });

  it('the whole forward path: reserved -> payment (local, queued) -> confirm_order (local: commit command) -> CONFIRMED', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    expect((await db.read(orderId)).saga).toMatchObject({ state: 'processing_payment', status: 'RUNNING', currentStep: S.ProcessPayment });
    expect(queuedFor(sagaId)).toBe(1);

    // The runner charges, then confirms: the order does not wait for the catalog's commit.
    await runSagaLocalSteps(db.deps, sagaId);
    const { saga, order } = await db.read(orderId);
    expect(saga).toMatchObject({
      state: 'completed',
      status: 'COMPLETED',
      currentStep: null,
      deadlineAt: null,
      paymentStatus: 'charged',
      paymentId: `sim_${orderId}`,
    });
    expect(saga.completedSteps).toEqual([S.ReserveInventory, S.ProcessPayment, S.ConfirmOrder]);
    expect((await commandsOf(orderId)).map((c) => c.subject)).toEqual([Subjects.CatalogInventoryReserve, Subjects.CatalogInventoryCommit]);
    // One version and one orders.order.updated per transition: start, reserved, paid, confirmed.
    expect(order).toMatchObject({ status: 'CONFIRMED', version: 4 });
    expect((await eventsOf(orderId)).map((e) => e.payload.sagaStatus)).toEqual(['STARTED', 'RUNNING', 'RUNNING', 'COMPLETED']);
    expect((await eventsOf(orderId)).map((e) => e.payload.currentStep)).toEqual([
      S.ReserveInventory,
      S.ProcessPayment,
      S.ConfirmOrder,
      null,
    ]);
  });

  it('a commit reply from an earlier catalog completes a saga still waiting at confirm_order; once completed it changes nothing', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    await chargeOnly(sagaId);
    expect((await db.read(orderId)).saga).toMatchObject({ state: 'confirming', currentStep: S.ConfirmOrder });
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryCommitted, { sagaId, orderId }));
    expect((await db.read(orderId)).order).toMatchObject({ status: 'CONFIRMED', version: 4 });
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryCommitted, { sagaId, orderId }));
    await runSagaLocalSteps(db.deps, sagaId);
    expect((await db.read(orderId)).order).toMatchObject({ status: 'CONFIRMED', version: 4 });
  });

  it('the same message delivered twice (same id): one transition, one local action queued', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    const message = reply(Subjects.CatalogInventoryReserved, { sagaId, orderId });
    await handleInventoryReply(db.deps, message);
    await handleInventoryReply(db.deps, message);
    expect((await db.read(orderId)).order.version).toBe(2);
    expect(await eventsOf(orderId)).toHaveLength(2);
    expect(queuedFor(sagaId)).toBe(1);
  });

  it('the same reply twice under two ids (the catalog answering twice), and the local action run twice: one transition and one command each', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    await runSagaLocalSteps(db.deps, sagaId);
    await runSagaLocalSteps(db.deps, sagaId);
    expect((await commandsOf(orderId)).filter((c) => c.subject === Subjects.CatalogInventoryCommit)).toHaveLength(1);
    expect((await db.read(orderId)).order).toMatchObject({ status: 'CONFIRMED', version: 4 });
    expect(queuedFor(sagaId)).toBe(1);
  });

  it('a reply naming another order than its saga (a different attempt) is ignored', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId: randomUUID() }));
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId: randomUUID(), orderId }));
    const { saga, order } = await db.read(orderId);
    expect(saga).toMatchObject({ status: 'STARTED', currentStep: S.ReserveInventory });
    expect(order.version).toBe(1);
    expect(queuedFor(sagaId)).toBe(0);
  });

  it('reservation failed: CANCELLED with the catalog reason, nothing to undo', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(
      db.deps,
      reply(Subjects.CatalogInventoryReservationFailed, { sagaId, orderId }, { reason: 'Insufficient stock for Saga widget' }),
    );
    const { saga, order } = await db.read(orderId);
    expect(saga).toMatchObject({
      state: 'failed',
      status: 'FAILED',
      failureReason: 'Insufficient stock for Saga widget',
      deadlineAt: null,
    });
    expect(order.status).toBe('CANCELLED');
    expect((await commandsOf(orderId)).map((c) => c.subject)).toEqual([Subjects.CatalogInventoryReserve]);
  });

  it('payment declined: the reservation is released with the reason, then CANCELLED; a late reserved changes nothing', async () => {
    const { orderId, sagaId } = await db.placeOrder(21);
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    await runSagaLocalSteps(db.deps, sagaId);
    const { saga } = await db.read(orderId);
    expect(saga).toMatchObject({ status: 'COMPENSATING', currentStep: C.ReleaseInventory, paymentStatus: 'declined' });
    const release = (await commandsOf(orderId)).at(-1)!;
    expect(release).toEqual({ subject: Subjects.CatalogInventoryRelease, payload: { sagaId, orderId, reason: saga.failureReason } });
    expect(saga.failureReason).toMatch(/^Payment declined/);

    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReleased, { sagaId, orderId }));
    const ended = await db.read(orderId);
    expect(ended.saga).toMatchObject({ state: 'failed', status: 'FAILED', deadlineAt: null });
    expect(ended.order).toMatchObject({ status: 'CANCELLED', version: 4 });
  });

  it('cancelled once confirmed (charged): refund queued (local), then release, then state cancelled; a second cancel is refused', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    await runSagaLocalSteps(db.deps, sagaId);
    expect((await db.read(orderId)).order.status).toBe('CONFIRMED');
    const auth = { userId: (await db.read(orderId)).order.userId, scopes: [], jti: randomUUID(), issuedAt: 0, expiresAt: 0, token: '' };
    await cancelOrder(db.deps, auth, { orderId, reason: 'Too slow' });
    expect((await db.read(orderId)).saga).toMatchObject({
      status: 'COMPENSATING',
      currentStep: C.RefundPayment,
      pendingCompensations: [C.RefundPayment, C.ReleaseInventory],
      failureReason: 'Too slow',
    });
    expect(queuedFor(sagaId)).toBe(2);
    await expect(cancelOrder(db.deps, auth, { orderId })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'ORDER_ALREADY_CANCELLED' },
    });

    await runSagaLocalSteps(db.deps, sagaId);
    expect((await db.read(orderId)).saga).toMatchObject({ currentStep: C.ReleaseInventory, paymentStatus: 'refunded' });
    expect((await commandsOf(orderId)).at(-1)).toMatchObject({
      subject: Subjects.CatalogInventoryRelease,
      payload: { reason: 'Too slow' },
    });
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReleased, { sagaId, orderId }));
    const ended = await db.read(orderId);
    expect(ended.saga).toMatchObject({ state: 'cancelled', status: 'FAILED' });
    expect(ended.order.status).toBe('CANCELLED');
  });
});

describe('the saga sweeper use case on Postgres', () => {
  it('reserve_inventory past its deadline: compensated (release sent); a release past its deadline is sent again', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await db.setSaga(sagaId, { deadlineAt: past() });
    await sweepSagas(db.deps);
    const { saga } = await db.read(orderId);
    expect(saga).toMatchObject({
      status: 'COMPENSATING',
      currentStep: C.ReleaseInventory,
      failureReason: 'Step reserve_inventory timed out after 30 s',
    });
    expect((await commandsOf(orderId)).map((c) => c.subject)).toEqual([Subjects.CatalogInventoryReserve, Subjects.CatalogInventoryRelease]);

    // Not yet due: nothing.
    await sweepSagas(db.deps);
    expect(await commandsOf(orderId)).toHaveLength(2);
    await db.setSaga(sagaId, { deadlineAt: past() });
    await sweepSagas(db.deps);
    expect((await commandsOf(orderId)).map((c) => c.subject)).toEqual([
      Subjects.CatalogInventoryReserve,
      Subjects.CatalogInventoryRelease,
      Subjects.CatalogInventoryRelease,
    ]);
    expect((await db.read(orderId)).order.version).toBe(2);
  });

  it('process_payment past its retry deadline: queued again; past the step timeout: compensated (refund queued)', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    await db.setSaga(sagaId, { deadlineAt: past() });
    await sweepSagas(db.deps);
    expect((await db.read(orderId)).saga).toMatchObject({ status: 'RUNNING', currentStep: S.ProcessPayment });
    expect(queuedFor(sagaId)).toBe(2);

    await db.setSaga(sagaId, { deadlineAt: past(), stepStartedAt: past(31_000) });
    await sweepSagas(db.deps);
    expect((await db.read(orderId)).saga).toMatchObject({
      status: 'COMPENSATING',
      currentStep: C.RefundPayment,
      failureReason: 'Step process_payment timed out after 30 s',
    });
    expect(queuedFor(sagaId)).toBe(3);
  });

  it('confirm_order not run after the payment committed (a crash between them): the sweeper runs it at its retry deadline, one commit command', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    await chargeOnly(sagaId);
    expect((await db.read(orderId)).saga).toMatchObject({ state: 'confirming', paymentStatus: 'charged' });
    const queued = queuedFor(sagaId);
    await db.setSaga(sagaId, { deadlineAt: past() });
    await sweepSagas(db.deps);
    expect(queuedFor(sagaId)).toBe(queued + 1);
    await runSagaLocalSteps(db.deps, sagaId);
    expect((await db.read(orderId)).order).toMatchObject({ status: 'CONFIRMED', version: 4 });
    expect((await commandsOf(orderId)).filter((c) => c.subject === Subjects.CatalogInventoryCommit)).toHaveLength(1);
  });

  it('confirm_order past the step timeout (the service was down that long): refund queued, then the stock released', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    await chargeOnly(sagaId);
    await db.setSaga(sagaId, { deadlineAt: past(), stepStartedAt: past(31_000) });
    await sweepSagas(db.deps);
    expect((await db.read(orderId)).saga).toMatchObject({
      status: 'COMPENSATING',
      currentStep: C.RefundPayment,
      pendingCompensations: [C.RefundPayment, C.ReleaseInventory],
      failureReason: 'Step confirm_order timed out after 30 s',
    });
    await runSagaLocalSteps(db.deps, sagaId);
    expect((await commandsOf(orderId)).map((c) => c.subject)).toEqual([Subjects.CatalogInventoryReserve, Subjects.CatalogInventoryRelease]);
  });
});

/** Runs the due local action (the payment) in one transaction, and stops there: as if the process died before confirm_order. */
async function chargeOnly(sagaId: string) {
  await db.deps.em.fork().transactional((tx) => onLockedSaga(tx, db.deps, { id: sagaId }, runLocalAction));
}
