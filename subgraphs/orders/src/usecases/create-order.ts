import {
  type AuthContext,
  decimal,
  type FieldError,
  ForbiddenError,
  groupOutboxRecords,
  isUuid,
  type OutboxRecord,
  ValidationError,
} from '@app/platform';
import { z } from 'zod';
import type { OrdersDeps } from '../deps.js';
import type { Order, OrderItem, OrderStatus, Saga } from '../entities/index.js';
import { asObject, MAX_LINES, quantity, uuid } from '../inputs.js';
import { repositories } from '../repositories/index.js';
import { userOrdersLockKey } from '../repositories/user-lock.js';
import { startSaga } from '../saga/orchestrator.js';
import { SagaStateName, SagaStatusName, SagaStep } from '../saga/saga-names.js';
import { type OrderView, orderView } from '../views.js';

const createOrderInput = z.object({
  userId: uuid('User id').nullish(),
  items: z
    .array(z.object({ productId: uuid('Product id'), quantity }), { error: 'Items must be a list of order lines' })
    .min(1, 'An order needs at least one item')
    .max(MAX_LINES, `An order may have at most ${MAX_LINES} lines`),
});

/** A new order's saga, before its first step starts (startSaga). */
const newSaga = (orderId: string, now: Date): Saga => ({
  id: crypto.randomUUID(),
  order: orderId,
  state: SagaStateName.Started,
  status: SagaStatusName.Started,
  currentStep: SagaStep.ReserveInventory,
  completedSteps: [],
  pendingCompensations: [],
  failureReason: null,
  terminalState: null,
  paymentStatus: null,
  paymentId: null,
  stepStartedAt: now,
  deadlineAt: null,
  startedAt: now,
  completedAt: null,
  updatedAt: now,
});

type AvailableProducts = Awaited<ReturnType<ReturnType<typeof repositories>['products']['findAvailable']>>;

/** The product ids the raw lines name (null where a line names none, or not a uuid). */
const namedProducts = (raw: Record<string, unknown>) =>
  (Array.isArray(raw.items) ? (raw.items as unknown[]) : []).map((item) => {
    const id = asObject(item).productId;
    return typeof id === 'string' && isUuid(id.trim()) ? id.trim().toLowerCase() : null;
  });

/** Lines naming a product the read model does not hold (reported with the shape errors: every bad field at once). */
const unknownProducts = (ids: readonly (string | null)[], products: AvailableProducts): FieldError[] =>
  ids.flatMap((id, i) => (id && !products.has(id) ? [{ field: `items.${i}.productId`, message: `Product ${id} does not exist` }] : []));

/** One line per product (in the order first named), with the read model's name and unit price, and the exact total. */
function snapshotLines(items: readonly { productId: string; quantity: number }[], products: AvailableProducts) {
  const lines = new Map<string, number>();
  for (const item of items) lines.set(item.productId, (lines.get(item.productId) ?? 0) + item.quantity);
  const snapshot = [...lines].map(([productId, qty], position) => {
    const product = products.get(productId)!;
    const price = decimal.normalize(String(product.price));
    return { productId, productName: product.name, quantity: qty, unitPrice: price, subtotal: decimal.multiply(price, qty), position };
  });
  const total = snapshot.reduce((sum, l) => decimal.add(sum, l.subtotal), '0');
  if (!decimal.isValid(total) || snapshot.some((l) => !decimal.isValid(l.subtotal)))
    throw new ValidationError([{ field: 'items', message: 'The order total is too large' }]);
  return { snapshot, total };
}

/**
 * `createOrder`: the signed-in user's order (another `userId` is FORBIDDEN). Every line must
 * name a product the catalog has published (the read model) with a positive quantity; every bad
 * field is reported at once and nothing is written. Lines of the same product are merged; names
 * and unit prices are snapshots of the read model; totals are exact. In ONE transaction of two
 * statements: the user's order lock (shared: the user's other orders go on, an erasure waits)
 * with the products' read, then the order (PROCESSING), its items, its saga (STARTED at
 * reserve_inventory), the reserve command and the order's events (all in the outbox) with the
 * erasure check, which writes none of it for an erased account; that statement goes with the
 * COMMIT. Answers at once; the saga goes on over NATS.
 */
export async function createOrder(deps: OrdersDeps, auth: AuthContext, rawInput: unknown): Promise<OrderView> {
  const raw = asObject(rawInput);
  const me = auth.userId.toLowerCase();
  if (typeof raw.userId === 'string' && isUuid(raw.userId.trim()) && raw.userId.trim().toLowerCase() !== me) {
    throw new ForbiddenError('You may only place orders for yourself');
  }
  const ids = namedProducts(raw);
  const named = ids.filter((id): id is string => id !== null);
  const parsed = createOrderInput.safeParse(raw);
  if (!parsed.success) {
    const products = await repositories(deps.em.fork()).products.findAvailable(named);
    const shape = parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || 'input', message: i.message }));
    throw new ValidationError([...shape, ...unknownProducts(ids, products)]);
  }

  const result = await deps.em.fork().transactional(async (tx) => {
    const writes = repositories(tx);
    // The lock is taken before the erasure check (the create's statement): an erasure running now finishes first (then this is FORBIDDEN).
    const products = await writes.products.findAvailable(named, { lockKey: userOrdersLockKey(deps.config.DB_SCHEMA, me) });
    const unknown = unknownProducts(ids, products);
    if (unknown.length) throw new ValidationError(unknown);
    const { snapshot, total } = snapshotLines(parsed.data.items, products);
    const now = new Date();
    const order: Order = {
      id: crypto.randomUUID(),
      userId: me,
      status: 'PROCESSING' satisfies OrderStatus,
      totalAmount: total,
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
    const items: OrderItem[] = snapshot.map((l) => ({ ...l, id: crypto.randomUUID(), order: order.id }));
    const saga = newSaga(order.id, now);
    const messages: OutboxRecord[] = [];
    startSaga({ tx, deps, saga, order, items, now, outbox: messages });
    // The reserve command and the order's event: one outbox row.
    const outbox = groupOutboxRecords(messages);
    // One statement, sent with the COMMIT: the order, its items, its saga and the reserve command
    // with the order's events, or nothing at all for an erased account (nothing may run after it).
    const { erased } = await writes.orders.create(order, items, saga, outbox);
    return { order, items, saga, outbox, erased };
  });
  if (result.erased) throw new ForbiddenError('This account has been deleted');
  deps.publishCommitted(result.outbox);
  return orderView(result.order, result.items, result.saga);
}
