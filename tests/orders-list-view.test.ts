/**
 * Issue 14: a user's order list and an order by id are read in one statement each as plain rows
 * (OrderViewReader); a mutation answers with the order from its entities. All must show exactly
 * the same order: every field, items in their order, exact decimals, the saga and its times.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { gql, loginAdmin, registerAndLogin, type TestUser } from './support/client.js';
import { createProduct, ORDER_FIELDS, placeOrder, readOrder, untilOrdersKnow, untilStatus } from './support/orders.js';

describe('userOrders, order(id) and a mutation show the same order', () => {
  let user: TestUser;
  let admin: Awaited<ReturnType<typeof loginAdmin>>;
  let productIds: string[];

  beforeAll(async () => {
    admin = await loginAdmin();
    const products = await Promise.all(
      ['19.9900', '0.0100', '1234.5678'].map((price) => createProduct(admin.accessToken, { price, stockQuantity: 100 })),
    );
    productIds = products.map((p) => p.id);
    user = await registerAndLogin('listview');
    await untilOrdersKnow(user.accessToken, productIds);
  });

  it('for a confirmed order of three lines and a cancelled one, newest first', async () => {
    const confirmed = await placeOrder(user.accessToken, [
      { productId: productIds[2], quantity: 3 },
      { productId: productIds[0], quantity: 1 },
      { productId: productIds[1], quantity: 7 },
    ]);
    await untilStatus(user.accessToken, confirmed.id, ['CONFIRMED']);
    const cancelled = await placeOrder(user.accessToken, [{ productId: productIds[0], quantity: 1000 }]);
    await untilStatus(user.accessToken, cancelled.id, ['CANCELLED']);

    const list = await gql(`query($u: ID!) { userOrders(userId: $u) { ${ORDER_FIELDS} } }`, { u: user.id }, { token: user.accessToken });
    expect(list.body.errors).toBeUndefined();
    const byId = await Promise.all([cancelled.id, confirmed.id].map((id) => readOrder(user.accessToken, id)));
    expect(list.body.data?.userOrders).toEqual(byId);
    expect(byId[1]!.items.map((i) => i.productId)).toEqual([productIds[2], productIds[0], productIds[1]]);
    // 3 x 1234.5678 + 19.99 + 7 x 0.01, exactly.
    expect(byId[1]!.totalAmount).toBe(3723.7634);
    expect(byId[0]!.sagaState?.failureReason).toBeTruthy();

    // shipOrder answers with the order from its entities, as it wrote it: order(id) reads the same.
    const shipped = await gql(
      `mutation($id: ID!) { shipOrder(orderId: $id) { ${ORDER_FIELDS} } }`,
      { id: confirmed.id },
      { token: admin.accessToken },
    );
    expect(shipped.body.errors).toBeUndefined();
    expect(shipped.body.data?.shipOrder).toMatchObject({ id: confirmed.id, status: 'SHIPPED' });
    expect(await readOrder(user.accessToken, confirmed.id)).toEqual(shipped.body.data?.shipOrder);
  });
});
