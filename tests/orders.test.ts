/**
 * The orders subgraph through the gateway: createOrder snapshots names and prices with exact
 * totals and the saga takes the order PROCESSING -> CONFIRMED; orders are their owner's (another
 * user's is invisible, another userId FORBIDDEN); bad input is a VALIDATION_ERROR naming every
 * bad field and writes nothing; admins ship and deliver; the federated fields (User.orders,
 * Order.user, OrderItem.product) resolve across subgraphs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode, eventually, gql, loginAdmin, registerAndLogin, serviceUrl, type TestUser } from './support/client.js';
import {
  CANCEL_ORDER,
  CREATE_ORDER,
  createProduct,
  DELIVER_ORDER,
  placeOrder,
  readOrder,
  SHIP_ORDER,
  stockOf,
  untilOrdersKnow,
  untilStatus,
} from './support/orders.js';

let admin: string;
let alice: TestUser;
let bob: TestUser;
let pen: { id: string; name: string };
let ink: { id: string; name: string };

const USER_ORDERS = `query UserOrders($userId: ID!, $status: OrderStatus) { userOrders(userId: $userId, status: $status) { id status } }`;
const SAGA_STATUS = `query Saga($orderId: ID!) { sagaStatus(orderId: $orderId) { sagaId state currentStep completedSteps error startedAt completedAt } }`;

beforeAll(async () => {
  [admin, alice, bob] = await Promise.all([loginAdmin().then((a) => a.accessToken), registerAndLogin('alice'), registerAndLogin('bob')]);
  [pen, ink] = await Promise.all([
    createProduct(admin, { price: '19.99', stockQuantity: 100 }),
    createProduct(admin, { price: 0.1, stockQuantity: 100 }),
  ]);
  await untilOrdersKnow(alice.accessToken, [pen.id, ink.id]);
});

describe('createOrder', () => {
  it('answers PROCESSING at reserve_inventory with snapshots and exact totals, then the saga confirms it', async () => {
    const order = await placeOrder(alice.accessToken, [
      { productId: pen.id, quantity: 3 },
      { productId: ink.id, quantity: 3 },
    ]);
    expect(order.status).toBe('PROCESSING');
    expect(order.userId).toBe(alice.id);
    expect(order.sagaState).toMatchObject({ state: 'started', status: 'STARTED', currentStep: 'reserve_inventory', completedSteps: [] });
    expect(order.items).toEqual([
      { productId: pen.id, productName: pen.name, quantity: 3, price: 19.99, subtotal: 59.97 },
      { productId: ink.id, productName: ink.name, quantity: 3, price: 0.1, subtotal: 0.3 },
    ]);
    expect(order.totalAmount).toBe(60.27); // 59.97 + 0.3 exactly (floats would give 60.269999...)

    const done = await untilStatus(alice.accessToken, order.id, ['CONFIRMED', 'CANCELLED']);
    expect(done.status).toBe('CONFIRMED');
    expect(done.sagaState).toMatchObject({ state: 'completed', status: 'COMPLETED', currentStep: null, failureReason: null });
    expect(done.sagaState!.completedSteps).toEqual(['reserve_inventory', 'process_payment', 'confirm_order']);
    expect(done.sagaState!.completedAt).toBeTruthy();

    const saga = await gql(SAGA_STATUS, { orderId: order.id }, { token: alice.accessToken });
    expect(saga.body.data?.sagaStatus).toMatchObject({
      state: 'completed',
      currentStep: null,
      error: null,
      completedSteps: ['reserve_inventory', 'process_payment', 'confirm_order'],
    });
  });

  it('merges lines of the same product', async () => {
    const order = await placeOrder(alice.accessToken, [
      { productId: ink.id, quantity: 1 },
      { productId: ink.id, quantity: 2 },
    ]);
    expect(order.items).toEqual([{ productId: ink.id, productName: ink.name, quantity: 3, price: 0.1, subtotal: 0.3 }]);
    expect(order.totalAmount).toBe(0.3);
  });

  it('reports every bad field as VALIDATION_ERROR and writes nothing', async () => {
    const user = await registerAndLogin('carol');
    const cases: [unknown[], string[]][] = [
      [[], ['items']],
      [[{ productId: pen.id, quantity: 0 }], ['items.0.quantity']],
      [[{ productId: pen.id, quantity: -2 }], ['items.0.quantity']],
      [
        [
          { productId: pen.id, quantity: 1 },
          { productId: '00000000-0000-4000-8000-000000000000', quantity: 1 },
        ],
        ['items.1.productId'],
      ],
      [
        [
          { productId: 'not-a-uuid', quantity: 1 },
          { productId: ink.id, quantity: 0 },
        ],
        ['items.0.productId', 'items.1.quantity'],
      ],
    ];
    for (const [items, fields] of cases) {
      const res = await gql(CREATE_ORDER, { input: { items } }, { token: user.accessToken });
      expect(errorCode(res), JSON.stringify(res.body)).toBe('VALIDATION_ERROR');
      const reported = res.body.errors![0].extensions!.validationErrors.map((e: { field: string }) => e.field);
      expect(reported.sort()).toEqual([...fields].sort());
    }
    const list = await gql(USER_ORDERS, { userId: user.id }, { token: user.accessToken });
    expect(list.body.data?.userOrders).toEqual([]);
  });

  it('needs a token, and refuses an order for another user', async () => {
    const anonymous = await gql(CREATE_ORDER, { input: { items: [{ productId: pen.id, quantity: 1 }] } });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    const res = await gql(
      CREATE_ORDER,
      { input: { userId: alice.id, items: [{ productId: pen.id, quantity: 1 }] } },
      { token: bob.accessToken },
    );
    expect(errorCode(res)).toBe('FORBIDDEN');
    const own = await gql(
      CREATE_ORDER,
      { input: { userId: bob.id, items: [{ productId: pen.id, quantity: 1 }] } },
      { token: bob.accessToken },
    );
    expect(own.body.errors, JSON.stringify(own.body)).toBeUndefined();
    expect(own.body.data?.createOrder.userId).toBe(bob.id);
  });
});

describe('visibility', () => {
  it("hides another user's order: null, FORBIDDEN for their list, NOT_FOUND to cancel", async () => {
    const order = await placeOrder(alice.accessToken, [{ productId: ink.id, quantity: 1 }]);
    expect(await readOrder(bob.accessToken, order.id)).toBeNull();
    const saga = await gql(SAGA_STATUS, { orderId: order.id }, { token: bob.accessToken });
    expect(saga.body.data?.sagaStatus).toBeNull();
    expect(errorCode(await gql(USER_ORDERS, { userId: alice.id }, { token: bob.accessToken }))).toBe('FORBIDDEN');
    expect(errorCode(await gql(CANCEL_ORDER, { input: { orderId: order.id } }, { token: bob.accessToken }))).toBe('NOT_FOUND');
    // The owner and an admin see it.
    expect((await readOrder(alice.accessToken, order.id))?.id).toBe(order.id);
    expect((await readOrder(admin, order.id))?.id).toBe(order.id);
    const mine = await gql(USER_ORDERS, { userId: alice.id }, { token: alice.accessToken });
    expect(mine.body.data?.userOrders.map((o: { id: string }) => o.id)).toContain(order.id);
  });

  it('resolves User.orders, Order.user and OrderItem.product across subgraphs', async () => {
    const order = await placeOrder(alice.accessToken, [{ productId: pen.id, quantity: 1 }]);
    const res = await gql(
      `query($id: ID!) { me { id orders(limit: 100) { id } } order(id: $id) { user { id username } items { product { id name price } } } }`,
      { id: order.id },
      { token: alice.accessToken },
    );
    expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
    expect(res.body.data?.me.orders.map((o: { id: string }) => o.id)).toContain(order.id);
    expect(res.body.data?.order.user).toEqual({ id: alice.id, username: alice.username });
    expect(res.body.data?.order.items[0].product).toEqual({ id: pen.id, name: pen.name, price: 19.99 });
    // Someone else's User.orders: FORBIDDEN.
    const other = await gql(`query($id: ID!) { order(id: $id) { id } }`, { id: order.id }, { token: bob.accessToken });
    expect(other.body.data?.order).toBeNull();
  });
});

describe('lists and direct access', () => {
  it('userOrders filters by status, newest first, and validates its page arguments', async () => {
    const user = await registerAndLogin('lister');
    const first = await placeOrder(user.accessToken, [{ productId: ink.id, quantity: 1 }]);
    await untilStatus(user.accessToken, first.id, ['CONFIRMED']);
    const second = await placeOrder(user.accessToken, [{ productId: ink.id, quantity: 1 }]);
    await gql(CANCEL_ORDER, { input: { orderId: second.id } }, { token: user.accessToken });
    await untilStatus(user.accessToken, second.id, ['CANCELLED']);

    const all = await gql(USER_ORDERS, { userId: user.id }, { token: user.accessToken });
    expect(all.body.data?.userOrders.map((o: { id: string }) => o.id)).toEqual([second.id, first.id]);
    const confirmed = await gql(USER_ORDERS, { userId: user.id, status: 'CONFIRMED' }, { token: user.accessToken });
    expect(confirmed.body.data?.userOrders).toEqual([{ id: first.id, status: 'CONFIRMED' }]);
    const bad = await gql(
      `query($u: ID!) { userOrders(userId: $u, limit: 0, offset: -1) { id } }`,
      { u: user.id },
      { token: user.accessToken },
    );
    expect(errorCode(bad)).toBe('VALIDATION_ERROR');
    expect(bad.body.errors![0].extensions!.validationErrors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'offset']);
    // An admin may list anyone's orders.
    const byAdmin = await gql(USER_ORDERS, { userId: user.id }, { token: admin });
    expect(byAdmin.body.data?.userOrders).toHaveLength(2);
  });

  it('the orders subgraph reached directly verifies the token itself', async () => {
    const url = `${serviceUrl('orders')}/graphql`;
    const anonymous = await gql(`{ userOrders(userId: "${alice.id}") { id } }`, {}, { url });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    const forged = await gql(`{ userOrders(userId: "${alice.id}") { id } }`, {}, { url, token: `${alice.accessToken.slice(0, -4)}AAAA` });
    expect(forged.status === 401 || errorCode(forged) === 'UNAUTHENTICATED').toBe(true);
    const entities = await gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id userId } } }`,
      { r: [{ __typename: 'Order', id: (await placeOrder(alice.accessToken, [{ productId: ink.id, quantity: 1 }])).id }] },
      { url, token: bob.accessToken },
    );
    expect(entities.body.data?._entities).toEqual([null]);
  });
});

describe('fulfilment (admin)', () => {
  it('ships and delivers a confirmed order; a shipped order can no longer be cancelled', async () => {
    const order = await placeOrder(alice.accessToken, [{ productId: pen.id, quantity: 1 }]);
    expect(errorCode(await gql(SHIP_ORDER, { id: order.id }, { token: alice.accessToken }))).toBe('FORBIDDEN');
    await untilStatus(alice.accessToken, order.id, ['CONFIRMED']);
    expect(errorCode(await gql(DELIVER_ORDER, { id: order.id }, { token: admin }))).toBe('CONFLICT');

    const shipped = await gql(SHIP_ORDER, { id: order.id }, { token: admin });
    expect(shipped.body.data?.shipOrder, JSON.stringify(shipped.body)).toEqual({ id: order.id, status: 'SHIPPED' });
    const refused = await gql(CANCEL_ORDER, { input: { orderId: order.id } }, { token: alice.accessToken });
    expect(errorCode(refused)).toBe('CONFLICT');
    expect(refused.body.errors![0].message).toMatch(/already been shipped/);
    expect(refused.body.errors![0].extensions!.field).toBe('orderId');
    expect(refused.body.errors![0].extensions!.reason).toBe('ORDER_ALREADY_SHIPPED');

    const delivered = await gql(DELIVER_ORDER, { id: order.id }, { token: admin });
    expect(delivered.body.data?.deliverOrder).toEqual({ id: order.id, status: 'DELIVERED' });
    expect(errorCode(await gql(CANCEL_ORDER, { input: { orderId: order.id } }, { token: alice.accessToken }))).toBe('CONFLICT');
    expect((await readOrder(alice.accessToken, order.id))?.status).toBe('DELIVERED');
  });

  it('counts stock: a confirmed order took it from the catalog', async () => {
    const product = await createProduct(admin, { price: 5, stockQuantity: 7 });
    await untilOrdersKnow(alice.accessToken, [product.id]);
    const order = await placeOrder(alice.accessToken, [{ productId: product.id, quantity: 4 }]);
    expect((await untilStatus(alice.accessToken, order.id, ['CONFIRMED', 'CANCELLED'])).status).toBe('CONFIRMED');
    expect(await stockOf(product.id)).toBe(3);
  });
});

describe('account erasure', () => {
  it("deleteMe erases the user's orders, and orders confirms the erasure to users", async () => {
    const user = await registerAndLogin('leaving');
    const product = await createProduct(admin, { price: 2, stockQuantity: 5 });
    await untilOrdersKnow(user.accessToken, [product.id]);
    const confirmed = await placeOrder(user.accessToken, [{ productId: product.id, quantity: 1 }]);
    await untilStatus(user.accessToken, confirmed.id, ['CONFIRMED']);

    const res = await gql(`mutation { deleteMe { id pendingServices } }`, {}, { token: user.accessToken });
    expect(res.body.errors, JSON.stringify(res.body)).toBeUndefined();
    expect(res.body.data?.deleteMe.pendingServices).toContain('orders');
    const requestId = res.body.data?.deleteMe.id;
    await eventually(async () => {
      const status = await gql(`query($id: ID!) { deletionStatus(id: $id) { completedAt pendingServices } }`, { id: requestId });
      return status.body.data?.deletionStatus?.completedAt ? status : undefined;
    }, 20_000);
    expect(await readOrder(admin, confirmed.id)).toBeNull();
    // The order was confirmed: its stock stays sold (erasure releases only unfinished orders' stock).
    expect(await stockOf(product.id)).toBe(4);
  });
});
