/** Helpers of the orders and saga tests: products made by the admin, orders, and polling their state. */
import { eventually, type GraphQLResult, gql, type RequestOptions, unique } from './client.js';

export const ORDER_FIELDS = `id userId status totalAmount createdAt updatedAt
  items { productId productName quantity price subtotal }
  sagaState { state status currentStep completedSteps failureReason startedAt completedAt }`;

export const CREATE_PRODUCT = `mutation CreateProduct($input: CreateProductInput!) { createProduct(input: $input) { id name price stockQuantity } }`;
export const PRODUCT = `query Product($id: ID!) { product(id: $id) { id stockQuantity } }`;
export const CREATE_ORDER = `mutation CreateOrder($input: CreateOrderInput!) { createOrder(input: $input) { ${ORDER_FIELDS} } }`;
export const ORDER = `query Order($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
export const CANCEL_ORDER = `mutation Cancel($input: CancelOrderInput!) { cancelOrder(input: $input) }`;
export const SHIP_ORDER = `mutation Ship($id: ID!) { shipOrder(orderId: $id) { id status } }`;
export const DELIVER_ORDER = `mutation Deliver($id: ID!) { deliverOrder(orderId: $id) { id status } }`;

export interface OrderResult {
  id: string;
  userId: string;
  status: string;
  totalAmount: number;
  items: { productId: string; productName: string; quantity: number; price: number; subtotal: number }[];
  sagaState: {
    state: string;
    status: string;
    currentStep: string | null;
    completedSteps: string[];
    failureReason: string | null;
    startedAt: string;
    completedAt: string | null;
  } | null;
}

const must = <T>(res: GraphQLResult, field: string): T => {
  if (res.body.errors?.length || !res.body.data?.[field]) throw new Error(`${field} failed: ${JSON.stringify(res.body)}`);
  return res.body.data[field] as T;
};

/** A new product (admin), with a unique name. */
export async function createProduct(
  adminToken: string,
  input: { price: number | string; stockQuantity: number; name?: string },
  options: RequestOptions = {},
) {
  const res = await gql(
    CREATE_PRODUCT,
    { input: { name: input.name ?? unique('Product'), price: input.price, stockQuantity: input.stockQuantity } },
    { ...options, token: adminToken },
  );
  return must<{ id: string; name: string; price: number; stockQuantity: number }>(res, 'createProduct');
}

export async function stockOf(productId: string, options: RequestOptions = {}): Promise<number> {
  const res = await gql(PRODUCT, { id: productId }, options);
  return must<{ stockQuantity: number }>(res, 'product').stockQuantity;
}

/**
 * Waits until the orders service's read model knows the products (catalog.product.upserted is
 * asynchronous). Probes with an order of quantity 0: always refused, nothing written, and the
 * product is named in validationErrors only while it is unknown.
 */
export async function untilOrdersKnow(token: string, productIds: string[], options: RequestOptions = {}): Promise<void> {
  await eventually(async () => {
    const res = await gql(
      CREATE_ORDER,
      { input: { items: productIds.map((productId) => ({ productId, quantity: 0 })) } },
      { ...options, token },
    );
    const fields: string[] = (res.body.errors?.[0]?.extensions?.validationErrors ?? []).map((e: { field: string }) => e.field);
    return fields.length > 0 && !fields.some((f) => f.endsWith('.productId'));
  }, 15_000);
}

export async function placeOrder(
  token: string,
  items: { productId: string; quantity: number }[],
  options: RequestOptions = {},
): Promise<OrderResult> {
  return must<OrderResult>(await gql(CREATE_ORDER, { input: { items } }, { ...options, token }), 'createOrder');
}

export async function readOrder(token: string, id: string, options: RequestOptions = {}): Promise<OrderResult | null> {
  const res = await gql(ORDER, { id }, { ...options, token });
  if (res.body.errors?.length) throw new Error(JSON.stringify(res.body.errors));
  return (res.body.data?.order ?? null) as OrderResult | null;
}

/** Polls the order until its status is one of `statuses` (and its saga has settled when terminal). */
export async function untilStatus(
  token: string,
  id: string,
  statuses: string[],
  options: RequestOptions & { timeoutMs?: number } = {},
): Promise<OrderResult> {
  return eventually(
    async () => {
      const order = await readOrder(token, id, options);
      return order && statuses.includes(order.status) && order.sagaState?.status !== 'COMPENSATING' ? order : undefined;
    },
    options.timeoutMs ?? 20_000,
    100,
  );
}
