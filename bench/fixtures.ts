/** What the catalog, orders and gateway benchmarks share: accounts, products, orderable products. */
import { randomBytes } from 'node:crypto';
import { graphql } from './lib.js';

export const BENCH_ADMIN = { username: 'bench_admin', password: 'bench-admin-password-1' };

export interface Session {
  token: string;
  userId: string;
}

export async function login(url: string, usernameOrEmail: string, password: string): Promise<Session> {
  const { login } = await graphql(url, 'mutation($i: LoginInput!) { login(input: $i) { accessToken user { id } } }', {
    i: { usernameOrEmail, password },
  });
  return { token: login.accessToken, userId: login.user.id };
}

export async function newUser(url: string): Promise<Session> {
  const username = `bench_${randomBytes(4).toString('hex')}`;
  const password = `bench-${randomBytes(6).toString('hex')}-1`;
  await graphql(url, 'mutation($i: RegisterInput!) { register(input: $i) { id } }', {
    i: { username, email: `${username}@example.com`, password },
  });
  return login(url, username, password);
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
export const round1 = (n: number) => Math.round(n * 10) / 10;

/** Products with plenty of stock (so no order is short) in a category of their own. */
export async function seedProducts(url: string, admin: Session, count: number, stockQuantity: number) {
  const suffix = randomBytes(3).toString('hex');
  const { createCategory } = await graphql(
    url,
    'mutation($i: CreateCategoryInput!) { createCategory(input: $i) { id } }',
    { i: { name: `Bench ${suffix}` } },
    admin.token,
  );
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { createProduct } = await graphql(
      url,
      'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }',
      { i: { name: `Bench product ${suffix} ${i}`, price: 1.25 + i, categoryId: createCategory.id, stockQuantity } },
      admin.token,
    );
    ids.push(createProduct.id);
  }
  return ids;
}

/**
 * Orders learn products from the catalog's events (a read model), a moment after they are
 * created (longer right after a start, while the catalog re-announces every product): retries
 * one order for all of `productIds` until it is accepted.
 */
export async function untilOrderable(url: string, token: string, productIds: string[]) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await graphql(url, CREATE_ORDER, { i: { items: productIds.map((productId) => ({ productId, quantity: 1 })) } }, token);
      return;
    } catch (err) {
      if (Date.now() > deadline || !/does not exist/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export const CREATE_ORDER = 'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id status } }';
export const ORDER_STATUS = 'query($id: ID!) { order(id: $id) { status sagaState { failureReason } } }';

export interface BenchUser extends Session {
  username: string;
  password: string;
  loggedInAt: number;
}

/** The accounts of this run, by gateway URL: created once, shared by the benchmarks that ask. */
const userPools = new Map<string, BenchUser[]>();
// Access tokens live 15 minutes by default; a longer run logs a user in again before that.
const TOKEN_REFRESH_MS = 10 * 60_000;

/**
 * `count` accounts of their own (many users' tokens in turn, not one), created `concurrency` at
 * a time (each registration and login hashes a password), shared across this run's benchmarks;
 * a token near its end is renewed by logging in again.
 */
export async function benchUsers(url: string, count: number, concurrency = 4): Promise<BenchUser[]> {
  const pool = userPools.get(url) ?? [];
  userPools.set(url, pool);
  const create = async (): Promise<BenchUser> => {
    const username = `bench_${randomBytes(5).toString('hex')}`;
    const password = `bench-${randomBytes(6).toString('hex')}-1`;
    await graphql(url, 'mutation($i: RegisterInput!) { register(input: $i) { id } }', {
      i: { username, email: `${username}@example.com`, password },
    });
    return { ...(await login(url, username, password)), username, password, loggedInAt: Date.now() };
  };
  const refresh = async (user: BenchUser) => {
    if (Date.now() - user.loggedInAt < TOKEN_REFRESH_MS) return;
    Object.assign(user, await login(url, user.username, user.password), { loggedInAt: Date.now() });
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        if (pool[i]) await refresh(pool[i]);
        else pool[i] = await create();
      }
    }),
  );
  return pool.slice(0, count);
}
