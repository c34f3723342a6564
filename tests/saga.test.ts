/**
 * The order saga (reserve_inventory -> process_payment -> confirm_order, compensated in reverse):
 * through the gateway, failures and cancellations give the stock back and end CANCELLED with a
 * reason, and concurrent orders never oversell. Then, on a private deployment of catalog + orders
 * (own NATS namespace, own database schemas, called directly with tokens of the shared auth),
 * the services are stopped and started under a running saga: a restarted orders service
 * finishes it, an unavailable catalog makes the order wait, a step past SAGA_STEP_TIMEOUT
 * compensates, late or duplicated replies change nothing, every transition is broadcast on
 * live.order.updated, and an account erasure releases the stock of an unfinished order.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { buildCatalogService, type CatalogService, loadCatalogConfig } from '@app/catalog';
import { type InventoryReplySubject, NatsEventBus, type PayloadOf, Subjects } from '@app/events';
import { buildOrdersService, loadOrdersConfig, type OrdersService } from '@app/orders';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { errorCode, eventually, gql, loginAdmin, platformEnv, registerAndLogin, type TestUser } from './support/client.js';
import { CANCEL_ORDER, createProduct, placeOrder, readOrder, stockOf, untilOrdersKnow, untilStatus } from './support/orders.js';

let admin: string;
let alice: TestUser;

beforeAll(async () => {
  [admin, alice] = await Promise.all([loginAdmin().then((a) => a.accessToken), registerAndLogin('saga')]);
});

describe('the order saga through the gateway', () => {
  it('cancels an order the catalog cannot fill, with its reason, and leaves the stock alone', async () => {
    const product = await createProduct(admin, { price: 10, stockQuantity: 2 });
    await untilOrdersKnow(alice.accessToken, [product.id]);
    const order = await placeOrder(alice.accessToken, [{ productId: product.id, quantity: 3 }]);
    const done = await untilStatus(alice.accessToken, order.id, ['CONFIRMED', 'CANCELLED']);
    expect(done.status).toBe('CANCELLED');
    expect(done.sagaState).toMatchObject({ state: 'failed', status: 'FAILED', currentStep: null, completedSteps: [] });
    expect(done.sagaState!.failureReason).toMatch(/Insufficient stock/);
    expect(done.sagaState!.completedAt).toBeTruthy();
    expect(await stockOf(product.id)).toBe(2);
  });

  it('releases the stock when the payment is declined (total above PAYMENT_DECLINE_ABOVE)', async () => {
    const product = await createProduct(admin, { price: 600000, stockQuantity: 5 });
    await untilOrdersKnow(alice.accessToken, [product.id]);
    const order = await placeOrder(alice.accessToken, [{ productId: product.id, quantity: 2 }]); // 1 200 000 > 1 000 000
    const done = await untilStatus(alice.accessToken, order.id, ['CONFIRMED', 'CANCELLED']);
    expect(done.status).toBe('CANCELLED');
    expect(done.sagaState!.failureReason).toMatch(/Payment declined/);
    expect(done.sagaState!.completedSteps).toEqual(['reserve_inventory']);
    expect(await stockOf(product.id)).toBe(5);
  });

  it('cancelOrder after confirmation refunds and releases the stock; a second cancel is a CONFLICT', async () => {
    const product = await createProduct(admin, { price: 12.5, stockQuantity: 4 });
    await untilOrdersKnow(alice.accessToken, [product.id]);
    const order = await placeOrder(alice.accessToken, [{ productId: product.id, quantity: 3 }]);
    await untilStatus(alice.accessToken, order.id, ['CONFIRMED']);
    expect(await stockOf(product.id)).toBe(1);

    const res = await gql(CANCEL_ORDER, { input: { orderId: order.id, reason: 'Changed my mind' } }, { token: alice.accessToken });
    expect(res.body.data?.cancelOrder, JSON.stringify(res.body)).toBe(true);
    const done = await untilStatus(alice.accessToken, order.id, ['CANCELLED']);
    expect(done.sagaState).toMatchObject({ state: 'cancelled', failureReason: 'Changed my mind', currentStep: null });
    expect(await eventually(async () => (await stockOf(product.id)) === 4)).toBe(true);
    expect(errorCode(await gql(CANCEL_ORDER, { input: { orderId: order.id } }, { token: alice.accessToken }))).toBe('CONFLICT');
  });

  it('cancelOrder while the saga runs compensates whatever it had done', async () => {
    const product = await createProduct(admin, { price: 3, stockQuantity: 6 });
    await untilOrdersKnow(alice.accessToken, [product.id]);
    const order = await placeOrder(alice.accessToken, [{ productId: product.id, quantity: 2 }]);
    const res = await gql(CANCEL_ORDER, { input: { orderId: order.id } }, { token: alice.accessToken });
    expect(res.body.data?.cancelOrder, JSON.stringify(res.body)).toBe(true);
    const done = await untilStatus(alice.accessToken, order.id, ['CANCELLED', 'CONFIRMED']);
    expect(done.status).toBe('CANCELLED');
    expect(done.sagaState).toMatchObject({ state: 'cancelled', failureReason: 'Cancelled by customer' });
    expect(await eventually(async () => (await stockOf(product.id)) === 6)).toBe(true);
  });

  it('50 concurrent orders for a stock of 10: exactly 10 confirmed, stock 0', async () => {
    const product = await createProduct(admin, { price: 1, stockQuantity: 10 });
    const buyers = await Promise.all(Array.from({ length: 5 }, () => registerAndLogin('buyer')));
    await untilOrdersKnow(buyers[0].accessToken, [product.id]);
    const placed = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const buyer = buyers[i % buyers.length];
        return { buyer, order: await placeOrder(buyer.accessToken, [{ productId: product.id, quantity: 1 }]) };
      }),
    );
    const finals = await Promise.all(
      placed.map(({ buyer, order }) => untilStatus(buyer.accessToken, order.id, ['CONFIRMED', 'CANCELLED'], { timeoutMs: 45_000 })),
    );
    const confirmed = finals.filter((o) => o.status === 'CONFIRMED');
    expect(confirmed).toHaveLength(10);
    for (const o of finals.filter((f) => f.status === 'CANCELLED')) expect(o.sagaState!.failureReason).toMatch(/Insufficient stock/);
    expect(await stockOf(product.id)).toBe(0);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// A private deployment: stop and start services without touching the shared platform.

describe('a private catalog + orders deployment, stopped and started under running sagas', () => {
  const suffix = randomBytes(4).toString('hex');
  const namespace = `t${suffix}saga`;
  const ordersSchema = `orders_t${suffix}`;
  const catalogSchema = `catalog_t${suffix}`;
  const base = () => ({ ...platformEnv(), NATS_NAMESPACE: namespace });
  let db: pg.Pool;
  let catalog: CatalogService | undefined;
  let orders: OrdersService | undefined;
  let catalogUrl = '';
  let ordersUrl = '';
  let productId = '';

  async function startCatalog() {
    catalog = await buildCatalogService({
      config: loadCatalogConfig({ ...base(), DB_SCHEMA: catalogSchema }),
      databaseUrl: inject('env').DATABASE_URL,
    });
    catalogUrl = `http://127.0.0.1:${await catalog.listen(0, '127.0.0.1')}/graphql`;
  }
  async function startOrders(stepTimeout: number) {
    const config = loadOrdersConfig({
      ...base(),
      DB_SCHEMA: ordersSchema,
      SAGA_STEP_TIMEOUT: String(stepTimeout),
      SAGA_SWEEP_INTERVAL: '0.2',
      OUTBOX_POLL_INTERVAL: '0.2',
    });
    orders = await buildOrdersService({ config, databaseUrl: inject('env').DATABASE_URL });
    ordersUrl = `http://127.0.0.1:${await orders.listen(0, '127.0.0.1')}/graphql`;
  }
  async function stop(service: { close(): Promise<void> } | undefined) {
    await service?.close();
  }
  const unsentOutbox = async () =>
    Number((await db.query(`select count(*)::int as n from "${ordersSchema}".outbox where sent_at is null`)).rows[0].n);
  const privateStock = () => stockOf(productId, { url: catalogUrl });
  const order = (id: string) => readOrder(alice.accessToken, id, { url: ordersUrl });

  beforeAll(async () => {
    db = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
    // Orders first: its durable consumers start at "now", so it hears the product being created.
    await startOrders(30);
    await startCatalog();
    productId = (await createProduct(admin, { price: 7, stockQuantity: 10 }, { url: catalogUrl })).id;
    await untilOrdersKnow(alice.accessToken, [productId], { url: ordersUrl });
  });

  afterAll(async () => {
    await stop(orders);
    await stop(catalog);
    for (const schema of [ordersSchema, catalogSchema]) await db?.query(`drop schema if exists "${schema}" cascade`);
    await db?.end();
    const bus = await NatsEventBus.connect({ url: inject('env').NATS_URL, namespace });
    await bus.deleteNamespaceStreams();
    await bus.close();
  });

  it('broadcasts every transition on live.order.updated, in order, with the saga state (what orderUpdated serves)', async () => {
    const bus = await NatsEventBus.connect({ url: inject('env').NATS_URL, namespace });
    const events: PayloadOf<typeof Subjects.LiveOrderUpdated>[] = [];
    const sub = await bus.onBroadcast(Subjects.LiveOrderUpdated, async (e) => void events.push(e.data));
    try {
      const placed = await placeOrder(alice.accessToken, [{ productId, quantity: 1 }], { url: ordersUrl });
      await untilStatus(alice.accessToken, placed.id, ['CONFIRMED', 'CANCELLED'], { url: ordersUrl });
      const mine = await eventually(async () => {
        const list = events.filter((e) => e.orderId === placed.id);
        return list.length >= 4 ? list : undefined;
      });
      expect(mine.map((e) => e.version)).toEqual([1, 2, 3, 4]);
      expect(mine.map((e) => [e.status, e.sagaState?.state, e.sagaState?.currentStep])).toEqual([
        ['PROCESSING', 'started', 'reserve_inventory'],
        ['PROCESSING', 'processing_payment', 'process_payment'],
        ['PROCESSING', 'confirming', 'confirm_order'],
        ['CONFIRMED', 'completed', null],
      ]);
      expect(mine.every((e) => e.userId === alice.id)).toBe(true);
      expect(mine[3].sagaState!.completedSteps).toEqual(['reserve_inventory', 'process_payment', 'confirm_order']);
    } finally {
      await sub.unsubscribe();
      await bus.close();
    }
    expect(await privateStock()).toBe(9);
  });

  it('a restarted orders service finishes the saga it left (the reply arrived while it was down)', async () => {
    await stop(catalog); // the reserve command waits in the stream
    const placed = await placeOrder(alice.accessToken, [{ productId, quantity: 2 }], { url: ordersUrl });
    await eventually(async () => (await unsentOutbox()) === 0);
    await stop(orders); // mid-saga: PROCESSING, waiting at reserve_inventory

    await startCatalog(); // reserves, and replies to nobody
    expect(await eventually(async () => (await privateStock()) === 7)).toBe(true);

    await startOrders(30); // consumes the waiting reply, charges, commits
    const done = await untilStatus(alice.accessToken, placed.id, ['CONFIRMED', 'CANCELLED'], { url: ordersUrl });
    expect(done.status).toBe('CONFIRMED');
    expect(done.sagaState!.completedSteps).toEqual(['reserve_inventory', 'process_payment', 'confirm_order']);
    expect(await privateStock()).toBe(7);
  });

  it('a duplicated or late reply changes nothing (inbox, and replies checked against the saga state)', async () => {
    const placed = await placeOrder(alice.accessToken, [{ productId, quantity: 1 }], { url: ordersUrl });
    const done = (await untilStatus(alice.accessToken, placed.id, ['CONFIRMED', 'CANCELLED'], { url: ordersUrl })) as Awaited<
      ReturnType<typeof order>
    > & { updatedAt: string };
    expect(done!.status).toBe('CONFIRMED');
    const saga = await gql(
      `query($id: ID!) { sagaStatus(orderId: $id) { sagaId } }`,
      { id: placed.id },
      { token: alice.accessToken, url: ordersUrl },
    );
    const ids = { sagaId: saga.body.data?.sagaStatus.sagaId as string, orderId: placed.id };
    const late = { failed: randomUUID(), released: randomUUID(), committed: randomUUID() };
    const bus = await NatsEventBus.connect({ url: inject('env').NATS_URL, namespace });
    try {
      await bus.publish(Subjects.CatalogInventoryReservationFailed, { ...ids, reason: 'late' }, { msgId: late.failed });
      await bus.publish(Subjects.CatalogInventoryReleased, ids, { msgId: late.released });
      // The same message delivered twice (another transport id, so JetStream's dedupe lets it through).
      const envelope = JSON.stringify({
        id: late.committed,
        subject: Subjects.CatalogInventoryCommitted,
        occurredAt: new Date().toISOString(),
        data: ids,
      });
      await bus.publishRaw(Subjects.CatalogInventoryCommitted, envelope, { msgId: `${late.committed}-a` });
      await bus.publishRaw(Subjects.CatalogInventoryCommitted, envelope, { msgId: `${late.committed}-b` });
    } finally {
      await bus.close();
    }
    const inboxIds = [
      `${Subjects.CatalogInventoryReservationFailed}:${late.failed}`,
      `${Subjects.CatalogInventoryReleased}:${late.released}`,
      `${Subjects.CatalogInventoryCommitted}:${late.committed}`,
    ];
    await eventually(
      async () =>
        Number(
          (await db.query(`select count(*)::int as n from "${ordersSchema}".processed_messages where id = any($1)`, [inboxIds])).rows[0].n,
        ) === 3,
    );
    const after = await order(placed.id);
    expect(after).toEqual(done);
    expect(await privateStock()).toBe(6);
  });

  it('an order waits while the catalog is unavailable, and completes when it returns', async () => {
    await stop(catalog);
    const placed = await placeOrder(alice.accessToken, [{ productId, quantity: 1 }], { url: ordersUrl });
    await eventually(async () => (await unsentOutbox()) === 0);
    expect(await order(placed.id)).toMatchObject({
      status: 'PROCESSING',
      sagaState: { status: 'STARTED', currentStep: 'reserve_inventory' },
    });

    await startCatalog();
    expect((await untilStatus(alice.accessToken, placed.id, ['CONFIRMED', 'CANCELLED'], { url: ordersUrl })).status).toBe('CONFIRMED');
    expect(await privateStock()).toBe(5);
  });

  it('a step past SAGA_STEP_TIMEOUT compensates: CANCELLED with the timeout as reason, stock unchanged', async () => {
    await stop(orders);
    await startOrders(1);
    await stop(catalog);
    const placed = await placeOrder(alice.accessToken, [{ productId, quantity: 1 }], { url: ordersUrl });
    // The reserve step times out; the release must be confirmed by the catalog before the order is cancelled.
    const compensating = await eventually(async () => {
      const o = await order(placed.id);
      return o?.sagaState?.status === 'COMPENSATING' ? o : undefined;
    });
    expect(compensating.status).toBe('PROCESSING');
    expect(compensating.sagaState).toMatchObject({ state: 'compensating', currentStep: 'release_inventory' });
    expect(compensating.sagaState!.failureReason).toMatch(/reserve_inventory timed out/);

    await startCatalog(); // handles the late reserve and the release (in either order): nothing is kept
    const done = await untilStatus(alice.accessToken, placed.id, ['CANCELLED', 'CONFIRMED'], { url: ordersUrl });
    expect(done.status).toBe('CANCELLED');
    expect(done.sagaState).toMatchObject({ state: 'failed', status: 'FAILED' });
    expect(await eventually(async () => (await privateStock()) === 5)).toBe(true);
  });
  it('erasing an account (users.user.deleted) drops its orders, confirms, and gives back the stock of an unfinished one', async () => {
    const user = await registerAndLogin('erased');
    await stop(catalog);
    const placed = await placeOrder(user.accessToken, [{ productId, quantity: 2 }], { url: ordersUrl });
    const bus = await NatsEventBus.connect({ url: inject('env').NATS_URL, namespace });
    const confirmations: string[] = [];
    const sub = await bus.subscribe(Subjects.UsersUserErased, async (e) => void confirmations.push(`${e.data.service}:${e.data.userId}`), {
      durable: `t_erased_${suffix}`,
      startAt: 'stored',
    });
    try {
      await bus.publish(Subjects.UsersUserDeleted, { userId: user.id, requestedAt: new Date().toISOString() });
      await eventually(async () => confirmations.includes(`orders:${user.id}`));
    } finally {
      await sub.unsubscribe();
      await bus.close();
    }
    expect(await readOrder(admin, placed.id, { url: ordersUrl })).toBeNull();
    const again = await gql(
      `mutation($p: ID!) { createOrder(input: { items: [{ productId: $p, quantity: 1 }] }) { id } }`,
      { p: productId },
      { token: user.accessToken, url: ordersUrl },
    );
    expect(errorCode(again)).toBe('FORBIDDEN');

    // The catalog handles the reserve that was waiting and the release the erasure sent (in either
    // order): once it has answered both, nothing is kept.
    const answers = await NatsEventBus.connect({ url: inject('env').NATS_URL, namespace });
    const answered = new Set<string>();
    const listen = (subject: InventoryReplySubject) =>
      answers.subscribe(
        subject,
        async (e) =>
          void (e.data.orderId === placed.id && answered.add(subject === Subjects.CatalogInventoryReleased ? 'release' : 'reserve')),
        {
          durable: `t_${subject.split('.').pop()}_${suffix}`,
          startAt: 'stored',
        },
      );
    const subs = await Promise.all([
      listen(Subjects.CatalogInventoryReleased),
      listen(Subjects.CatalogInventoryReserved),
      listen(Subjects.CatalogInventoryReservationFailed),
    ]);
    try {
      await startCatalog();
      await eventually(async () => answered.size === 2);
    } finally {
      for (const s of subs) await s.unsubscribe();
      await answers.close();
    }
    expect(await privateStock()).toBe(5);
  });
});
