/**
 * Issue #11, part B, items 7 and 9: query limits on every subgraph's own port (depth, aliases,
 * tokens, complexity, `_entities` representations, no batching), the gateway's own entity
 * fetches still passing, and the denial-of-service shapes the gateway refuses (aliases of meta
 * fields, big batches, stacked directives, floods of validation errors, fragment fan-out).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode, type GraphQLResult, gatewayUrl, gql, loginAdmin, registerAndLogin, serviceUrl } from './support/client.js';
import { createProduct, placeOrder, untilOrdersKnow } from './support/orders.js';

const subgraph = (name: string) => `${serviceUrl(name)}/graphql`;
const messages = (res: GraphQLResult) => (res.body.errors ?? []).map((e) => e.message).join('\n');

async function post(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** `category { products { category { products ... } } }`: the catalog's cycle, `levels` fields under `product`. */
const cycle = (levels: number) => {
  const fields = Array.from({ length: levels }, (_, i) => (i % 2 === 0 ? 'category' : 'products'));
  return fields.reduceRight((inner, field) => `${field} { ${inner} }`, 'id');
};
// A product that does not exist: the query is cheap to run, so only a limit can refuse it.
const NO_PRODUCT = randomUUID();

describe('a subgraph reached directly has the gateway limits (catalog)', () => {
  it('refuses depth 11 (the Category.products <-> Product.category cycle), runs depth 10', async () => {
    // product(1) + 9 cycle levels + id = 11
    const over = await gql(`{ product(id: "${NO_PRODUCT}") { ${cycle(9)} } }`, undefined, { url: subgraph('catalog') });
    expect(errorCode(over)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(messages(over)).toMatch(/depth/i);
    expect(over.body.data ?? undefined).toBeUndefined();

    const ten = await gql(`{ product(id: "${NO_PRODUCT}") { ${cycle(8)} } }`, undefined, { url: subgraph('catalog') });
    expect(messages(ten)).not.toMatch(/depth/i);
  });

  it('refuses an over-complex cycle (cost past 1000) before running it', async () => {
    // product > category > products(10) > category > products(10) > category > products(10): 1223
    const res = await gql(`{ product(id: "${NO_PRODUCT}") { ${cycle(6)} } }`, undefined, { url: subgraph('catalog') });
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(messages(res)).toMatch(/complex/i);
    expect(res.body.data ?? undefined).toBeUndefined();
  });

  it('refuses 31 aliases, even of __typename, and runs 30', async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const over = await gql(aliased(31), undefined, { url: subgraph('catalog') });
    expect(errorCode(over)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(messages(over)).toMatch(/alias/i);
    const ok = await gql(aliased(30), undefined, { url: subgraph('catalog') });
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data?.a29).toBe('Query');
  });

  it('refuses a document over 5000 tokens', async () => {
    const res = await gql(`{ ${'__typename '.repeat(6000)}}`, undefined, { url: subgraph('catalog') });
    expect(errorCode(res)).toBe('GRAPHQL_PARSE_FAILED');
    expect(messages(res)).toMatch(/tokens/i);
  });

  it('refuses more than 500 _entities representations in one request, takes 500', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }`;
    const reps = (n: number) => Array.from({ length: n }, () => ({ __typename: 'Product', id: randomUUID() }));
    const over = await gql(query, { r: reps(501) }, { url: subgraph('catalog') });
    expect(errorCode(over)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(messages(over)).toMatch(/representations/i);
    expect(over.body.data ?? undefined).toBeUndefined();

    const max = await gql(query, { r: reps(500) }, { url: subgraph('catalog') });
    expect(max.body.errors).toBeUndefined();
    expect(max.body.data?._entities).toHaveLength(500);

    // Aliases do not multiply the allowance: two fields of 300 are 600 in one request.
    const split = await gql(
      `query($a: [_Any!]!, $b: [_Any!]!) { a: _entities(representations: $a) { __typename } b: _entities(representations: $b) { __typename } }`,
      { a: reps(300), b: reps(300) },
      { url: subgraph('catalog') },
    );
    expect(errorCode(split)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers no batch', async () => {
    const res = await post(subgraph('catalog'), [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(res.status).toBe(400);
    expect(Array.isArray(res.body)).toBe(false);
    expect(res.body.data).toBeUndefined();
  });

  it('every subgraph has the limits (31 aliases refused on each)', async () => {
    const aliased = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    for (const name of ['auth', 'users', 'workouts', 'catalog', 'orders', 'relationship-map']) {
      const res = await gql(aliased, undefined, { url: subgraph(name) });
      expect(errorCode(res), name).toBe('GRAPHQL_VALIDATION_FAILED');
    }
  });
});

describe("the gateway's own entity fetches pass the subgraph limits", () => {
  let user: Awaited<ReturnType<typeof registerAndLogin>>;
  let products: string[];
  beforeAll(async () => {
    const admin = await loginAdmin();
    user = await registerAndLogin('deep');
    products = [];
    for (let i = 0; i < 4; i++) products.push((await createProduct(admin.accessToken, { price: '1.50', stockQuantity: 1_000_000 })).id);
    await untilOrdersKnow(user.accessToken, products);
    for (let i = 0; i < 10; i++)
      await placeOrder(
        user.accessToken,
        products.map((productId, n) => ({ productId, quantity: n + 1 })),
      );
  });

  it("the deep benchmark query: 10 orders x 4 lines (40 product references) with each product's category, and the user", async () => {
    const res = await gql(
      `query Deep($userId: ID!) {
        userOrders(userId: $userId, limit: 10) {
          id status totalAmount createdAt
          items { quantity price subtotal product { id name price category { id name } } }
          user { id username }
        }
      }`,
      { userId: user.id },
      { token: user.accessToken },
    );
    expect(res.body.errors).toBeUndefined();
    const orders = res.body.data!.userOrders as { items: { product: { id: string } }[]; user: { id: string } }[];
    expect(orders).toHaveLength(10);
    expect(orders.flatMap((o) => o.items.map((i) => i.product.id)).sort()).toEqual(
      Array.from({ length: 10 }, () => products)
        .flat()
        .sort(),
    );
    for (const order of orders) expect(order.user.id).toBe(user.id);
  });

  it('a gateway that does not deduplicate (a plain @apollo/gateway) sends the 40 references as they are: accepted', async () => {
    const reps = Array.from({ length: 10 }, () => products.map((id) => ({ __typename: 'Product', id }))).flat();
    const res = await gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name price category { id name } } } }`,
      { r: reps },
      { url: subgraph('catalog') },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?._entities).toHaveLength(40);
  });
});

describe('denial-of-service shapes the gateway refuses', () => {
  it('counts aliases of meta fields: 31 aliases of __typename are refused, 30 run', async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    const over = await gql(aliased(101));
    expect(over.status).toBe(400);
    expect(errorCode(over)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(messages(over)).toMatch(/alias/i);
    expect(errorCode(await gql(aliased(31)))).toBe('GRAPHQL_VALIDATION_FAILED');
    const ok = await gql(aliased(30));
    expect(ok.body).toEqual({ data: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`t${i}`, 'Query'])) });
  });

  it('takes a batch of at most 5 operations', async () => {
    const ops = (n: number) => Array.from({ length: n }, () => ({ query: '{ __typename }' }));
    const five = await post(gatewayUrl(), ops(5));
    expect(five.status).toBe(200);
    expect(five.body).toHaveLength(5);
    const ten = await post(gatewayUrl(), ops(10));
    expect(ten.status).toBe(400);
    expect(Array.isArray(ten.body)).toBe(false);
    expect(ten.body.errors[0].extensions.code).toBe('VALIDATION_ERROR');
  });

  it('refuses stacked directives: the limit is the first error, and errors stop at 10 + "too many"', async () => {
    const res = await gql(`{ __typename ${'@nope '.repeat(30)}}`);
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors![0].message).toMatch(/directives/i);
    expect(res.body.errors).toHaveLength(11);
    expect(res.body.errors!.at(-1)!.message).toMatch(/too many/i);
    // More than 50 in one operation, even spread over fields, is refused too.
    const spread = await gql(
      `query($a: Boolean = true) { ${Array.from({ length: 13 }, (_, i) => `t${i}: __typename @include(if: $a) @skip(if: false) @include(if: $a) @skip(if: false)`).join(' ')} }`,
    );
    expect(spread.body.errors?.[0]?.message).toMatch(/directives limit/i);
    // Up to 4 on one field is an ordinary query.
    const fine = await gql(`query($a: Boolean = true) { __typename @include(if: $a) @skip(if: false) }`);
    expect(fine.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers at most 10 validation errors, then one saying there were too many', async () => {
    const res = await gql(`{ ${Array.from({ length: 30 }, (_, i) => `nope${i}`).join(' ')} }`);
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors!.length).toBe(11);
    expect(res.body.errors!.at(-1)!.message).toMatch(/too many/i);
  });

  it('a fragment fan-out does not hide an over-complex selection from the complexity limit', async () => {
    // Each fragment spreads the next one 110 times (110^2 paths in about 450 tokens): too many
    // nodes for the estimator to walk, which must mean "refused", not "not estimated". Under
    // them, a selection of cost 1201 (no such category: cheap to run, only a limit refuses it).
    const levels = 3;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1
        ? `fragment F${i} on Query { products(categoryId: "${NO_PRODUCT}", limit: 100) { category { products { id } } } }`
        : `fragment F${i} on Query { ${`...F${i + 1} `.repeat(110)}}`,
    ).join('\n');
    const started = Date.now();
    const res = await gql(`{ ...F0 }\n${fragments}`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(messages(res)).toMatch(/complex/i);
    expect(res.body.data ?? undefined).toBeUndefined();
  });
});
