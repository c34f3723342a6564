/**
 * The payment and confirm_order run inside the transaction of the `reserved` reply that made
 * them due (what the service does with `deps.inlineLocal`), on the real Postgres: the same
 * transitions, events and commands as through the background runner, in one commit; a provider that fails or does not
 * answer within the budget changes nothing and leaves the payment to the runner (and the next
 * orders too, for a while); a redelivered reply charges nothing twice.
 */
import { Subjects } from '@app/events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChargeRequest, PaymentProvider, RefundRequest } from '../src/payment/payment-provider.js';
import { SimulatedPaymentProvider } from '../src/payment/simulated-payment-provider.js';
import { SagaStep as S } from '../src/saga/saga-names.js';
import { handleInventoryReply } from '../src/usecases/handle-inventory-reply.js';
import { runSagaLocalSteps } from '../src/usecases/run-saga-local-steps.js';
import { DECLINE_ABOVE, type OrdersTestDatabase, openOrdersTestDatabase, reply } from './support/orders-test-database.js';

/** The simulated provider, with calls recorded and a delay or a failure on demand. */
class ScriptedProvider implements PaymentProvider {
  readonly inner = new SimulatedPaymentProvider(DECLINE_ABOVE);
  readonly calls: string[] = [];
  delayMs = 0;
  fail = false;

  async charge(request: ChargeRequest) {
    this.calls.push(request.orderId);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.fail) throw new Error('provider unavailable');
    return this.inner.charge(request);
  }

  refund(request: RefundRequest) {
    return this.inner.refund(request);
  }
}

const BUDGET_MS = 50;
let db: OrdersTestDatabase;
let provider: ScriptedProvider;

beforeAll(async () => {
  db = await openOrdersTestDatabase({ stepTimeoutSeconds: 30 });
});

beforeEach(() => {
  provider = new ScriptedProvider();
  db.deps.payments = provider;
  // Fresh per test: a slow answer sends the next payments to the runner for a while.
  db.deps.inlineLocal = { budgetMs: BUDGET_MS, coolDownMs: 60_000, slowUntil: 0 };
});

afterAll(async () => {
  await db?.close();
});

const queuedFor = (sagaId: string) => db.queued.filter((id) => id === sagaId).length;
const subjectsOf = async (orderId: string) => (await db.outbox(orderId)).map((m) => m.subject);
const sagaStatuses = async (orderId: string) =>
  (await db.outbox(orderId)).filter((m) => m.subject === Subjects.OrdersOrderUpdated).map((m) => m.payload.currentStep);

describe('the payment inside the reserved reply’s transaction', () => {
  it('charges, confirms and sends the commit command in the reply’s commit: nothing queued, every transition still published', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    const { saga, order } = await db.read(orderId);
    expect(saga).toMatchObject({ state: 'completed', currentStep: null, paymentStatus: 'charged', paymentId: `sim_${orderId}` });
    expect(saga.completedSteps).toEqual([S.ReserveInventory, S.ProcessPayment, S.ConfirmOrder]);
    expect(queuedFor(sagaId)).toBe(0);
    expect(provider.calls).toEqual([orderId]);
    // Version and events as through the runner: started, processing_payment, confirming, completed.
    expect(order).toMatchObject({ status: 'CONFIRMED', version: 4 });
    expect(await sagaStatuses(orderId)).toEqual([S.ReserveInventory, S.ProcessPayment, S.ConfirmOrder, null]);
    expect((await subjectsOf(orderId)).filter((s) => s === Subjects.CatalogInventoryCommit)).toHaveLength(1);
  });

  it('a declined payment compensates in the same commit (the release is sent)', async () => {
    const { orderId, sagaId } = await db.placeOrder(21); // 105: above DECLINE_ABOVE (100)
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    const { saga } = await db.read(orderId);
    expect(saga).toMatchObject({ status: 'COMPENSATING', currentStep: 'release_inventory', paymentStatus: 'declined' });
    expect(saga.failureReason).toMatch(/Payment declined/);
    expect(await subjectsOf(orderId)).toContain(Subjects.CatalogInventoryRelease);
    expect(queuedFor(sagaId)).toBe(0);
  });

  it('a provider slower than the budget: the reply commits without the payment, the runner charges once, the next orders go to the runner directly', async () => {
    provider.delayMs = BUDGET_MS * 4;
    const first = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, first));
    expect((await db.read(first.orderId)).saga).toMatchObject({ state: 'processing_payment', paymentStatus: null });
    expect(queuedFor(first.sagaId)).toBe(1);

    const second = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, second));
    expect(queuedFor(second.sagaId)).toBe(1);
    expect(provider.calls).toEqual([first.orderId]); // not tried inline: the provider was slow a moment ago

    for (const { sagaId } of [first, second]) await runSagaLocalSteps(db.deps, sagaId);
    for (const { orderId } of [first, second]) {
      expect((await db.read(orderId)).saga).toMatchObject({ state: 'completed', paymentStatus: 'charged' });
      expect((await subjectsOf(orderId)).filter((s) => s === Subjects.CatalogInventoryCommit)).toHaveLength(1);
    }
    // The abandoned inline call and the runner's are one charge (the provider is idempotent by order).
    expect([...provider.inner.ledger.values()].filter((e) => e.orderId === first.orderId)).toHaveLength(1);
  });

  it('a provider error: nothing changes but the reply’s own transition, and the runner takes the payment', async () => {
    provider.fail = true;
    const { orderId, sagaId } = await db.placeOrder();
    await handleInventoryReply(db.deps, reply(Subjects.CatalogInventoryReserved, { sagaId, orderId }));
    const { saga, order } = await db.read(orderId);
    expect(saga).toMatchObject({ state: 'processing_payment', currentStep: S.ProcessPayment, paymentStatus: null });
    expect(order.version).toBe(2);
    expect(queuedFor(sagaId)).toBe(1);
    expect(await subjectsOf(orderId)).not.toContain(Subjects.CatalogInventoryCommit);
  });

  it('the same reply delivered twice: one charge, one commit command', async () => {
    const { orderId, sagaId } = await db.placeOrder();
    const message = reply(Subjects.CatalogInventoryReserved, { sagaId, orderId });
    await handleInventoryReply(db.deps, message);
    await handleInventoryReply(db.deps, message);
    expect(provider.calls).toEqual([orderId]);
    expect((await subjectsOf(orderId)).filter((s) => s === Subjects.CatalogInventoryCommit)).toHaveLength(1);
    expect((await db.read(orderId)).order.version).toBe(4);
  });
});
