/**
 * Edge cases of the order saga on a private orders deployment (own NATS namespace, own database
 * schema, no catalog: the test plays the catalog by publishing its replies), with a scripted
 * payment provider: account erasure racing running sagas and failing refunds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { NatsEventBus, Subjects } from '@app/events';
import { buildOrdersService, loadOrdersConfig, type OrdersService, type PaymentProvider, SimulatedPaymentProvider } from '@app/orders';
import { outboxMessagesQuery } from '@app/platform';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { userOrdersLockKey } from '../subgraphs/orders/src/repositories/user-lock.js';
import { errorCode, eventually, type GraphQLResult, gql, platformEnv, registerAndLogin, type TestUser } from './support/client.js';
import { CANCEL_ORDER, CREATE_ORDER, placeOrder, readOrder, untilOrdersKnow } from './support/orders.js';

/** A provider the test scripts: records every call, can fail or hold refunds, can lose a charge's answer. */
class ScriptedProvider implements PaymentProvider {
  readonly charged = new Map<string, string>();
  readonly refunded = new Set<string>();
  /** Refunds that throw before anything happens (a provider outage). */
  failRefunds = 0;
  /** When set, refunds wait for it (to hold a transaction open). */
  refundGate?: Promise<void>;
  refundStarted?: () => void;
  /** Orders whose charge goes through at the provider but whose answer is lost (a timeout). */
  readonly loseChargeAnswer = new Set<string>();
  /** How long a charge takes (real providers answer in hundreds of milliseconds, or seconds). */
  chargeDelayMs = 0;
  /** Orders whose charge never answers (a provider that hangs). */
  readonly hangCharge = new Set<string>();

  async charge(request: { orderId: string; amount: string }) {
    if (this.hangCharge.has(request.orderId)) return new Promise<never>(() => undefined);
    if (this.chargeDelayMs) await new Promise((r) => setTimeout(r, this.chargeDelayMs));
    this.charged.set(request.orderId, request.amount);
    if (this.loseChargeAnswer.has(request.orderId)) throw new Error('provider timeout (the charge went through)');
    return { status: 'charged' as const, paymentId: `test_${request.orderId}` };
  }

  async refund(request: { orderId: string }) {
    this.refundStarted?.();
    if (this.refundGate) await this.refundGate;
    if (this.failRefunds > 0) {
      this.failRefunds--;
      throw new Error('provider unavailable');
    }
    if (this.charged.has(request.orderId)) this.refunded.add(request.orderId);
    return { status: 'refunded' as const };
  }
}

describe('a private orders deployment with a scripted payment provider', () => {
  const suffix = randomBytes(4).toString('hex');
  const namespace = `t${suffix}oedge`;
  const schema = `orders_e${suffix}`;
  const payments = new ScriptedProvider();
  let orders: OrdersService;
  let url = '';
  let bus: NatsEventBus;
  let db: pg.Pool;
  const productId = randomUUID();

  async function startOrders(stepTimeout = 30) {
    const config = loadOrdersConfig({
      ...platformEnv(),
      NATS_NAMESPACE: namespace,
      DB_SCHEMA: schema,
      SAGA_STEP_TIMEOUT: String(stepTimeout),
      SAGA_SWEEP_INTERVAL: '0.2',
      OUTBOX_POLL_INTERVAL: '0.2',
    });
    orders = await buildOrdersService({ config, databaseUrl: inject('env').DATABASE_URL, payments });
    url = `http://127.0.0.1:${await orders.listen(0, '127.0.0.1')}/graphql`;
  }

  beforeAll(async () => {
    db = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
    await startOrders();
    bus = await NatsEventBus.connect({ url: inject('env').NATS_URL, namespace });
    // Play the catalog: publish a product to the read model.
    await bus.publish(Subjects.CatalogProductUpserted, {
      productId,
      name: 'Edge widget',
      price: '5',
      categoryId: null,
      updatedAt: new Date().toISOString(),
    });
  });

  afterAll(async () => {
    await orders?.close();
    await db?.query(`drop schema if exists "${schema}" cascade`);
    await db?.end();
    await bus?.deleteNamespaceStreams();
    await bus?.close();
  });

  const sagaIdOf = async (user: TestUser, orderId: string) =>
    (await gql(`query($id: ID!) { sagaStatus(orderId: $id) { sagaId } }`, { id: orderId }, { token: user.accessToken, url })).body.data
      ?.sagaStatus?.sagaId as string;

  /** An order of `user` whose reservation the "catalog" confirmed; the payment step then runs. */
  async function reservedOrder(user: TestUser) {
    await untilOrdersKnow(user.accessToken, [productId], { url });
    const placed = await placeOrder(user.accessToken, [{ productId, quantity: 2 }], { url });
    const sagaId = await sagaIdOf(user, placed.id);
    await bus.publish(Subjects.CatalogInventoryReserved, { sagaId, orderId: placed.id });
    return { ...placed, sagaId };
  }

  const erase = async (user: TestUser) => {
    await bus.publish(Subjects.UsersUserDeleted, { userId: user.id, requestedAt: new Date().toISOString() });
  };
  const ordersOfUser = async (userId: string) =>
    Number((await db.query(`select count(*)::int as n from "${schema}".orders where user_id = $1`, [userId])).rows[0].n);

  it('erasure refunds the charge of an order being cancelled whose refund the provider failed, even when it fails the first again', async () => {
    const user = await registerAndLogin('erase_refund');
    const order = await reservedOrder(user);
    // Charged and confirmed (confirm_order does not wait for the catalog).
    expect((await untilStatusDirect(user, order.id)).status).toBe('CONFIRMED');
    expect(payments.charged.has(order.id)).toBe(true);

    // The cancellation's refund fails (the provider is down): the saga waits at refund_payment, still holding the charge.
    payments.failRefunds = 2;
    await gql(CANCEL_ORDER, { input: { orderId: order.id } }, { token: user.accessToken, url });
    await eventually(async () => payments.failRefunds === 1, 5_000, 10);
    await erase(user);
    await eventually(async () => (await ordersOfUser(user.id)) === 0);
    // The charge of the deleted order must not be kept: the refund is retried until it succeeds.
    await eventually(async () => payments.refunded.has(order.id), 10_000);
    expect(payments.failRefunds).toBe(0);
  });

  it('erasure refunds a charge the provider made but whose answer was lost (saga still at process_payment)', async () => {
    const user = await registerAndLogin('erase_lost');
    await untilOrdersKnow(user.accessToken, [productId], { url });
    const placed = await placeOrder(user.accessToken, [{ productId, quantity: 1 }], { url });
    payments.loseChargeAnswer.add(placed.id);
    const sagaId = await sagaIdOf(user, placed.id);
    await bus.publish(Subjects.CatalogInventoryReserved, { sagaId, orderId: placed.id });
    await eventually(async () => payments.charged.has(placed.id));
    expect((await readOrder(user.accessToken, placed.id, { url }))?.sagaState?.currentStep).toBe('process_payment');

    await erase(user);
    await eventually(async () => (await ordersOfUser(user.id)) === 0);
    await eventually(async () => payments.refunded.has(placed.id), 10_000);
  });

  it('an order placed while the erasure is being committed does not survive it', async () => {
    const user = await registerAndLogin('erase_race');
    await untilOrdersKnow(user.accessToken, [productId], { url });
    const first = await placeOrder(user.accessToken, [{ productId, quantity: 1 }], { url });

    // Hold the erasure inside its transaction: its delete waits for a row lock the test holds.
    const client = await db.connect();
    let late: Promise<GraphQLResult> | undefined;
    let outboxBefore = 0;
    try {
      await client.query('begin');
      await client.query(`select id from "${schema}".orders where id = $1 for update`, [first.id]);
      await erase(user);
      await eventually(async () => {
        const { rows } = await db.query(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike $1`,
          [`%delete from "${schema}"."orders"%`],
        );
        return rows[0].n > 0;
      });
      // The user places an order while the erasure has not committed yet.
      outboxBefore = Number((await db.query(`select coalesce(max(seq), 0) as seq from "${schema}".outbox`)).rows[0].seq);
      late = gql(CREATE_ORDER, { input: { items: [{ productId, quantity: 1 }] } }, { token: user.accessToken, url });
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await client.query('commit');
      client.release();
    }
    const res = await late!;
    // Either refused (the erasure came first) or erased with the rest: never a surviving order.
    await eventually(async () => (await ordersOfUser(user.id)) === 0 || undefined, 3_000).catch(() => undefined);
    expect(await ordersOfUser(user.id)).toBe(0);
    expect(errorCode(res), JSON.stringify(res.body)).toBe('FORBIDDEN');
    // Refused with nothing written: no reserve command for the refused order either (the erasure reserves nothing).
    const reserves = await db.query(
      `select count(*)::int as n from ${outboxMessagesQuery(`"${schema}".outbox`)} m where seq > $1 and subject = $2`,
      [outboxBefore, Subjects.CatalogInventoryReserve],
    );
    expect(reserves.rows[0].n).toBe(0);
  });

  it("one user's orders do not wait for each other; they wait for the erasure's hold on the user", async () => {
    const user = await registerAndLogin('lock_modes');
    await untilOrdersKnow(user.accessToken, [productId], { url });
    // The lock createOrder and the erasure take for this user.
    const key = userOrdersLockKey(schema, user.id.toLowerCase());
    const order = () => gql(CREATE_ORDER, { input: { items: [{ productId, quantity: 1 }] } }, { token: user.accessToken, url });
    const client = await db.connect();
    try {
      // Held as another of the user's orders holds it while it is placed: this one goes through meanwhile.
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock_shared(hashtext($1))', [key]);
      const alongside = await order();
      expect(alongside.body.errors, JSON.stringify(alongside.body)).toBeUndefined();
      await client.query('commit');

      // Held as an erasure holds it: the order waits for it to end.
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [key]);
      let answered = false;
      const waiting = order().finally(() => {
        answered = true;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(answered).toBe(false);
      await client.query('commit');
      const after = await waiting;
      expect(after.body.errors, JSON.stringify(after.body)).toBeUndefined();
    } finally {
      await client.query('rollback').catch(() => {});
      client.release();
    }
  });

  it('replies that reached the stream while the orders service was down past the step timeout still move the sagas on', async () => {
    const user = await registerAndLogin('downtime');
    await orders.close();
    await startOrders(3);
    await untilOrdersKnow(user.accessToken, [productId], { url });
    const placed = [];
    for (let i = 0; i < 5; i++) {
      const order = await placeOrder(user.accessToken, [{ productId, quantity: 1 }], { url });
      placed.push({ orderId: order.id, sagaId: await sagaIdOf(user, order.id) });
    }
    await eventually(
      async () => Number((await db.query(`select count(*)::int as n from "${schema}".outbox where sent_at is null`)).rows[0].n) === 0,
    );
    await orders.close(); // a deploy (or a crash) that takes longer than SAGA_STEP_TIMEOUT

    // The catalog answers at once; the answers wait in the stream for the orders service.
    for (const ids of placed) await bus.publish(Subjects.CatalogInventoryReserved, ids);
    await new Promise((r) => setTimeout(r, 4_500));

    await startOrders(3);
    for (const ids of placed) {
      const o = await untilStatusDirect(user, ids.orderId);
      expect(o.status).toBe('CONFIRMED');
      expect(o.sagaState, JSON.stringify(o.sagaState)).toMatchObject({
        status: 'COMPLETED',
        completedSteps: ['reserve_inventory', 'process_payment', 'confirm_order'],
      });
    }

    await orders.close();
    await startOrders();
  }, 40_000);

  it('an erasure and a transition of a finished order (ship, cancel, a late reply) lock in the same order: no deadlock', async () => {
    const user = await registerAndLogin('erase_lockorder');
    const order = await reservedOrder(user);
    expect((await untilStatusDirect(user, order.id)).status).toBe('CONFIRMED');

    // What shipOrder / cancelOrder / a reply do: the saga row first, then the order row.
    const client = await db.connect();
    try {
      await client.query('begin');
      await client.query(`set local deadlock_timeout = '100ms'`);
      await client.query(`select id from "${schema}".sagas where id = $1 for update`, [order.sagaId]);
      await erase(user);
      await eventually(async () => {
        const { rows } = await db.query(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and pid <> $1 and query ilike $2`,
          [(client as unknown as { processID: number }).processID, `%"${schema}"%`],
        );
        return rows[0].n > 0;
      });
      // The erasure now waits for the saga row; the order row must still be free for its holder.
      await expect(client.query(`select id from "${schema}".orders where id = $1 for update`, [order.id])).resolves.toBeDefined();
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    await eventually(async () => (await ordersOfUser(user.id)) === 0);
  });

  it("a slow payment provider does not hold up the other orders' replies until their steps time out", async () => {
    const user = await registerAndLogin('slowpay');
    await orders.close();
    await startOrders(3);
    payments.chargeDelayMs = 1_000;
    try {
      await untilOrdersKnow(user.accessToken, [productId], { url });
      const placed = [];
      for (let i = 0; i < 6; i++) {
        const order = await placeOrder(user.accessToken, [{ productId, quantity: 1 }], { url });
        placed.push({ orderId: order.id, sagaId: await sagaIdOf(user, order.id) });
      }
      // The catalog reserves all six at once; each charge then takes a second.
      for (const ids of placed) await bus.publish(Subjects.CatalogInventoryReserved, ids);
      for (const ids of placed) {
        const o = await eventually(
          async () => {
            const order = await readOrder(user.accessToken, ids.orderId, { url });
            return order && ['CONFIRMED', 'CANCELLED'].includes(order.status) ? order : undefined;
          },
          15_000,
          20,
        );
        // Reserved, charged and confirmed: none timed out behind the slow charges.
        expect(o.sagaState!.completedSteps, JSON.stringify(o.sagaState)).toEqual(['reserve_inventory', 'process_payment', 'confirm_order']);
      }
    } finally {
      payments.chargeDelayMs = 0;
      await orders.close();
      await startOrders();
    }
  }, 40_000);

  it('a payment provider call that never answers does not leave the order PROCESSING forever', async () => {
    const user = await registerAndLogin('hangpay');
    await orders.close();
    await startOrders(2);
    try {
      await untilOrdersKnow(user.accessToken, [productId], { url });
      const placed = await placeOrder(user.accessToken, [{ productId, quantity: 1 }], { url });
      payments.hangCharge.add(placed.id);
      await bus.publish(Subjects.CatalogInventoryReserved, { sagaId: await sagaIdOf(user, placed.id), orderId: placed.id });
      // The payment step times out and compensates (refund, then the release the absent catalog never confirms).
      const o = await eventually(
        async () => {
          const order = await readOrder(user.accessToken, placed.id, { url });
          return order?.sagaState?.currentStep === 'release_inventory' || order?.status === 'CANCELLED' ? order : undefined;
        },
        15_000,
        100,
      );
      expect(o.sagaState!.status).toBe('COMPENSATING');
      expect(o.sagaState!.failureReason).toMatch(/process_payment timed out/);
      expect(o.sagaState!.currentStep).toBe('release_inventory');
    } finally {
      await orders.close();
      await startOrders();
    }
  }, 40_000);

  async function untilStatusDirect(user: TestUser, id: string) {
    return eventually(async () => {
      const o = await readOrder(user.accessToken, id, { url });
      return o && ['CONFIRMED', 'CANCELLED'].includes(o.status) ? o : undefined;
    });
  }
});

describe('the bundled SimulatedPaymentProvider in a long-running service', () => {
  it('keeps a bounded ledger: memory does not grow with every order ever charged', async () => {
    const provider = new SimulatedPaymentProvider('1000000');
    const ids = Array.from({ length: 25_000 }, () => randomUUID());
    for (const orderId of ids) await provider.charge({ orderId, userId: orderId, amount: '1' });
    expect(provider.ledger.size).toBeLessThanOrEqual(10_000);
    // The recent orders are still there (refunds mark them), and answers never depended on the ledger.
    expect(provider.ledger.get(ids.at(-1)!)?.status).toBe('charged');
    expect(await provider.charge({ orderId: ids[0], userId: ids[0], amount: '1' })).toEqual({
      status: 'charged',
      paymentId: `sim_${ids[0]}`,
    });
  });
});
