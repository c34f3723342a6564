/**
 * Issue 14: a user's order list is read in one statement as plain rows (OrderViewReader), the
 * order by id through the entities. Both must show exactly the same order: every field, items in
 * their order, exact decimals, the saga and its times.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { gql, loginAdmin, registerAndLogin, type TestUser } from './support/client.js';
import { createProduct, ORDER_FIELDS, placeOrder, readOrder, untilOrdersKnow, untilStatus } from './support/orders.js';

describe('userOrders and order(id) show the same order', () => {
  let user: TestUser;
  let productIds: string[];

  beforeAll(async () => {
    const admin = await loginAdmin();
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
  });
});
