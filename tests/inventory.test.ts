/**
 * Inventory as a participant of the order saga, over NATS: a private catalog instance (its own
 * schema and NATS namespace, so the running platform's services never see these commands) gets
 * `catalog.inventory.reserve/release/commit` commands and answers `reserved` /
 * `reservation_failed` / `released` (a commit is one-way: nothing is sent back). Every line of an order or none, never
 * oversold under concurrent orders, once per message (inbox) and once per order, poison
 * messages dead-lettered without stopping the consumer, and every stock change announced on
 * `catalog.stock.changed` and `live.stock.updated`.
 */
import { randomUUID } from 'node:crypto';
import { createProduct, getProduct, handleInventoryCommand, pruneInbox, reserveInventory, updateProduct } from '@app/catalog';
import {
  type DeadLetter,
  type EventEnvelope,
  INVENTORY_REPLY_SUBJECTS,
  type InventoryReplySubject,
  type PayloadOf,
  Subjects,
} from '@app/events';
import { outboxMessagesQuery } from '@app/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateCatalog, startPrivateCatalog } from './support/catalog.js';
import { eventually, unique } from './support/client.js';

interface Reply {
  subject: InventoryReplySubject;
  id: string;
  data: { sagaId: string; orderId: string; reason?: string };
}

let priv: PrivateCatalog;
const replies: Reply[] = [];
const stockChanged: EventEnvelope<typeof Subjects.CatalogStockChanged>[] = [];
const live: EventEnvelope<typeof Subjects.LiveStockUpdated>[] = [];
const deadLetters: DeadLetter[] = [];

beforeAll(async () => {
  priv = await startPrivateCatalog({ nats: true, prefix: 'catalog_inv' });
  const { bus } = priv;
  const subjects: readonly InventoryReplySubject[] = INVENTORY_REPLY_SUBJECTS;
  await Promise.all([
    ...subjects.map((subject) =>
      bus.subscribe(subject, async (e) => void replies.push({ subject, id: e.id, data: e.data as Reply['data'] }), {
        durable: `test-${subject.split('.').pop()}`,
      }),
    ),
    bus.subscribe(Subjects.CatalogStockChanged, async (e) => void stockChanged.push(e), { durable: 'test-stock-changed' }),
    bus.onBroadcast(Subjects.LiveStockUpdated, async (e) => void live.push(e)),
    bus.subscribeDeadLetters((d) => void deadLetters.push(d)),
  ]);
});

afterAll(async () => {
  await priv?.close();
});

const deps = () => priv.service.deps;

async function product(stockQuantity: number, name = unique('Item')): Promise<string> {
  return (await createProduct(deps(), { name, price: '100', stockQuantity })).id;
}
const stockOf = async (id: string): Promise<number> =>
  (await priv.sql('select stock_quantity from $schema.products where id = $1', [id]))[0].stock_quantity;
const reservationsOf = (orderId: string) =>
  priv.sql('select product_id, quantity, state from $schema.inventory_reservations where order_id = $1 order by product_id', [orderId]);
const repliesFor = (orderId: string) => replies.filter((r) => r.data.orderId === orderId);

type Items = { productId: string; quantity: number }[];
const sagaOf = new Map<string, string>();
const saga = (orderId: string) => sagaOf.get(orderId) ?? (sagaOf.set(orderId, randomUUID()), sagaOf.get(orderId)!);

const reserve = (orderId: string, items: Items, msgId?: string) =>
  priv.bus.publish(Subjects.CatalogInventoryReserve, { sagaId: saga(orderId), orderId, items }, { msgId });
const release = (orderId: string, reason = 'payment declined') =>
  priv.bus.publish(Subjects.CatalogInventoryRelease, { sagaId: saga(orderId), orderId, reason });
/** Sends a commit and waits until the catalog has handled it (its inbox row is committed): a commit is not answered. */
async function commit(orderId: string) {
  const msgId = randomUUID();
  await priv.bus.publish(Subjects.CatalogInventoryCommit, { sagaId: saga(orderId), orderId }, { msgId });
  await eventually(async () => (await priv.sql('select 1 from $schema.inbox_messages where id = $1', [msgId])).length === 1, 10_000, 20);
}
const orderStateOf = async (orderId: string) =>
  (await priv.sql('select state from $schema.inventory_orders where order_id = $1', [orderId]))[0]?.state;

/** Waits for the order's `n`th reply and returns them all. */
const awaitReplies = (orderId: string, n = 1) => eventually(async () => repliesFor(orderId).length >= n && repliesFor(orderId), 10_000, 20);

describe('reserve: every line or none', () => {
  it('reserves every line of an order and answers reserved', async () => {
    const [a, b] = [await product(5), await product(3)];
    const orderId = randomUUID();
    await reserve(orderId, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 3 },
    ]);
    const [answer] = await awaitReplies(orderId);
    expect(answer).toMatchObject({ subject: Subjects.CatalogInventoryReserved, data: { sagaId: saga(orderId), orderId } });
    expect([await stockOf(a), await stockOf(b)]).toEqual([3, 0]);
    // Each product's new level announced (durable and live), written before the reply, and kept with the command's inbox row.
    const announced = (events: { data: { productId: string; newQuantity: number } }[]) =>
      events.some((e) => e.data.productId === a && e.data.newQuantity === 3) &&
      events.some((e) => e.data.productId === b && e.data.newQuantity === 0);
    await eventually(async () => announced(stockChanged) && announced(live));
    const outbox = await priv.sql(
      `select subject, payload->>'productId' as product from ${outboxMessagesQuery('$schema.outbox')} m
        where msg_id like $1 or payload->>'orderId' = $2 order by seq, position`,
      [`${answer.id.split(':')[0]}:%`, orderId],
    );
    expect(outbox.map((r: { subject: string }) => r.subject).at(-1)).toBe(Subjects.CatalogInventoryReserved);
    // All in one outbox row (written and sent together): the first stock change's, the rest its followers.
    const rows = await priv.sql(`select jsonb_array_length(followers) as followers from $schema.outbox where msg_id like $1`, [
      `${answer.id.split(':')[0]}:%`,
    ]);
    expect(rows).toEqual([{ followers: 2 }]);
    const [inbox] = await priv.sql('select stock_changes from $schema.inbox_messages where id = $1', [answer.id.split(':')[0]]);
    expect(inbox.stock_changes.map((c: { productId: string; newQuantity: number }) => [c.productId, c.newQuantity]).sort()).toEqual(
      [
        [a, 3],
        [b, 0],
      ].sort(),
    );
    expect(await reservationsOf(orderId)).toEqual(
      [
        { product_id: a, quantity: 2, state: 'reserved' },
        { product_id: b, quantity: 3, state: 'reserved' },
      ].sort((x, y) => (x.product_id < y.product_id ? -1 : 1)),
    );
  });

  it('one line short: reservation_failed with the reason, and no stock moves', async () => {
    const [a, b] = [await product(5), await product(1, 'Scarce thing')];
    const orderId = randomUUID();
    const changesBefore = stockChanged.length;
    await reserve(orderId, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 2 },
    ]);
    const [answer] = await awaitReplies(orderId);
    expect(answer.subject).toBe(Subjects.CatalogInventoryReservationFailed);
    expect(answer.data.reason).toMatch(/Insufficient stock for "Scarce thing": 2 requested, 1 available/);
    expect([await stockOf(a), await stockOf(b)]).toEqual([5, 1]);
    expect(await reservationsOf(orderId)).toEqual([]);

    // An unknown product fails the whole order too.
    const other = randomUUID();
    await reserve(other, [
      { productId: a, quantity: 1 },
      { productId: randomUUID(), quantity: 1 },
    ]);
    const [failed] = await awaitReplies(other);
    expect(failed.subject).toBe(Subjects.CatalogInventoryReservationFailed);
    expect(failed.data.reason).toMatch(/does not exist/);
    expect(await stockOf(a)).toBe(5);
    expect(stockChanged.slice(changesBefore).some((e) => e.data.productId === a || e.data.productId === b)).toBe(false);
  });

  it('the same product named twice in an order is reserved as the sum', async () => {
    const a = await product(4);
    const orderId = randomUUID();
    await reserve(orderId, [
      { productId: a, quantity: 2 },
      { productId: a, quantity: 3 },
    ]);
    expect((await awaitReplies(orderId))[0].subject).toBe(Subjects.CatalogInventoryReservationFailed);
    const ok = randomUUID();
    await reserve(ok, [
      { productId: a, quantity: 1 },
      { productId: a, quantity: 3 },
    ]);
    expect((await awaitReplies(ok))[0].subject).toBe(Subjects.CatalogInventoryReserved);
    expect(await stockOf(a)).toBe(0);
  });
});

describe('release and commit', () => {
  it('release gives the stock back, once', async () => {
    const [a, b] = [await product(10), await product(10)];
    const orderId = randomUUID();
    await reserve(orderId, [
      { productId: a, quantity: 4 },
      { productId: b, quantity: 1 },
    ]);
    await awaitReplies(orderId);
    expect([await stockOf(a), await stockOf(b)]).toEqual([6, 9]);
    await release(orderId);
    const answers = await awaitReplies(orderId, 2);
    expect(answers[1]).toMatchObject({ subject: Subjects.CatalogInventoryReleased, data: { orderId, sagaId: saga(orderId) } });
    expect([await stockOf(a), await stockOf(b)]).toEqual([10, 10]);
    expect((await reservationsOf(orderId)).map((r) => r.state)).toEqual(['released', 'released']);

    // Released again (another message): answered again, nothing given back twice.
    await release(orderId);
    expect((await awaitReplies(orderId, 3))[2].subject).toBe(Subjects.CatalogInventoryReleased);
    expect([await stockOf(a), await stockOf(b)]).toEqual([10, 10]);
  });

  it('a release that overtakes its reserve: released, and the late reserve takes nothing', async () => {
    const a = await product(3);
    const orderId = randomUUID();
    await release(orderId, 'timed out');
    expect((await awaitReplies(orderId))[0].subject).toBe(Subjects.CatalogInventoryReleased);
    await reserve(orderId, [{ productId: a, quantity: 1 }]);
    const answers = await awaitReplies(orderId, 2);
    expect(answers[1].subject).toBe(Subjects.CatalogInventoryReservationFailed);
    expect(await stockOf(a)).toBe(3);
  });

  it('commit finalises the reservation without an answer: the stock stays taken, a second commit changes nothing', async () => {
    const a = await product(5);
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: a, quantity: 2 }]);
    await awaitReplies(orderId);
    await commit(orderId);
    expect(await stockOf(a)).toBe(3);
    expect(await reservationsOf(orderId)).toEqual([{ product_id: a, quantity: 2, state: 'committed' }]);
    expect(await orderStateOf(orderId)).toBe('committed');
    await commit(orderId);
    expect(await stockOf(a)).toBe(3);
    expect(await orderStateOf(orderId)).toBe('committed');
    // Only the reserve was answered.
    expect(repliesFor(orderId).map((r) => r.subject)).toEqual([Subjects.CatalogInventoryReserved]);

    // A commit of an order that holds nothing (its reservation failed) changes nothing.
    const failed = randomUUID();
    await reserve(failed, [{ productId: a, quantity: 99 }]);
    await awaitReplies(failed);
    await commit(failed);
    expect(await orderStateOf(failed)).toBe('failed');
    expect(repliesFor(failed)).toHaveLength(1);
    expect(await stockOf(a)).toBe(3);
  });

  it('a release that overtakes the commit (an order cancelled at once): the stock comes back once, the late commit changes nothing', async () => {
    const a = await product(5);
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: a, quantity: 2 }]);
    await awaitReplies(orderId);
    await release(orderId, 'cancelled');
    expect((await awaitReplies(orderId, 2))[1].subject).toBe(Subjects.CatalogInventoryReleased);
    await commit(orderId);
    expect(await stockOf(a)).toBe(5);
    expect(await orderStateOf(orderId)).toBe('released');
    expect(await reservationsOf(orderId)).toEqual([{ product_id: a, quantity: 2, state: 'released' }]);
  });
});

describe('idempotence', () => {
  it('the same reserve message delivered twice (same envelope id) reserves once', async () => {
    const a = await product(10);
    const orderId = randomUUID();
    const envelope = {
      id: randomUUID(),
      subject: Subjects.CatalogInventoryReserve,
      occurredAt: new Date().toISOString(),
      data: { sagaId: saga(orderId), orderId, items: [{ productId: a, quantity: 3 }] },
    };
    // Published raw with no NATS message id, so JetStream's dedupe window does not drop the copy:
    // the inbox is what must recognise it.
    await priv.bus.publishRaw(Subjects.CatalogInventoryReserve, JSON.stringify(envelope));
    await priv.bus.publishRaw(Subjects.CatalogInventoryReserve, JSON.stringify(envelope));
    await awaitReplies(orderId);
    await eventually(
      async () => (await priv.sql('select count(*)::int as n from $schema.inbox_messages where id = $1', [envelope.id]))[0].n === 1,
    );
    // Wait until the copy was handled too: a marker behind it on the same consumer is answered.
    const marker = randomUUID();
    await reserve(marker, [{ productId: a, quantity: 1 }]);
    await awaitReplies(marker);
    expect(await stockOf(a)).toBe(6); // 10 - 3 (once) - 1 (marker)
    expect(await reservationsOf(orderId)).toEqual([{ product_id: a, quantity: 3, state: 'reserved' }]);
    // The stored reply went out again under the same message id: JetStream kept one copy.
    expect(repliesFor(orderId).map((r) => r.subject)).toEqual([Subjects.CatalogInventoryReserved]);
  });

  it('another message for the same order (a saga retry) gets the same answer and reserves nothing more', async () => {
    const a = await product(10);
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: a, quantity: 4 }]);
    await reserve(orderId, [{ productId: a, quantity: 4 }]);
    const answers = await awaitReplies(orderId, 2);
    expect(answers.map((r) => r.subject)).toEqual([Subjects.CatalogInventoryReserved, Subjects.CatalogInventoryReserved]);
    expect(await stockOf(a)).toBe(6);

    // A failed order stays failed, even once stock has arrived.
    const b = await product(1);
    const failed = randomUUID();
    await reserve(failed, [{ productId: b, quantity: 2 }]);
    await awaitReplies(failed);
    await priv.sql('update $schema.products set stock_quantity = 5 where id = $1', [b]);
    await reserve(failed, [{ productId: b, quantity: 2 }]);
    const again = await awaitReplies(failed, 2);
    expect(again.map((r) => r.subject)).toEqual([Subjects.CatalogInventoryReservationFailed, Subjects.CatalogInventoryReservationFailed]);
    expect(await stockOf(b)).toBe(5);
  });

  it('the same message handled concurrently (two replicas at once) still reserves once', async () => {
    const a = await product(10);
    const orderId = randomUUID();
    const envelope: EventEnvelope<typeof Subjects.CatalogInventoryReserve> = {
      id: randomUUID(),
      subject: Subjects.CatalogInventoryReserve,
      occurredAt: new Date().toISOString(),
      data: { sagaId: saga(orderId), orderId, items: [{ productId: a, quantity: 2 }] },
    };
    const other = { ...envelope, id: randomUUID() }; // same order, other message id
    await Promise.all([...Array(4)].flatMap(() => [envelope, other].map((e) => handleInventoryCommand(deps(), e, reserveInventory))));
    expect(await stockOf(a)).toBe(8);
    expect(await reservationsOf(orderId)).toEqual([{ product_id: a, quantity: 2, state: 'reserved' }]);
  });
});

describe('inbox retention', () => {
  it('old inbox entries are forgotten; a very late copy of a command still changes nothing (idempotent per order)', async () => {
    const a = await product(5);
    const orderId = randomUUID();
    const envelope: EventEnvelope<typeof Subjects.CatalogInventoryReserve> = {
      id: randomUUID(),
      subject: Subjects.CatalogInventoryReserve,
      occurredAt: new Date().toISOString(),
      data: { sagaId: saga(orderId), orderId, items: [{ productId: a, quantity: 2 }] },
    };
    await handleInventoryCommand(deps(), envelope, reserveInventory);
    const recent = randomUUID();
    await handleInventoryCommand(deps(), { ...envelope, id: recent }, reserveInventory);
    await priv.sql(`update $schema.inbox_messages set received_at = now() - interval '30 days' where id = $1`, [envelope.id]);
    expect(await pruneInbox(deps())).toBeGreaterThanOrEqual(1);
    const left = await priv.sql('select id from $schema.inbox_messages where id = any($1)', [[envelope.id, recent]]);
    expect(left.map((r) => r.id)).toEqual([recent]);
    await handleInventoryCommand(deps(), envelope, reserveInventory);
    expect(await stockOf(a)).toBe(3);
  });
});

describe('concurrency: never oversold', () => {
  it('40 concurrent orders over NATS, three competing replicas: exactly the stock is reserved', async () => {
    await priv.addReplica();
    await priv.addReplica();
    const a = await product(20);
    const orders = [...Array(40)].map(() => randomUUID());
    await Promise.all(orders.map((orderId) => reserve(orderId, [{ productId: a, quantity: 1 }])));
    await eventually(async () => orders.every((o) => repliesFor(o).length === 1), 20_000, 50);
    const outcomes = orders.map((o) => repliesFor(o)[0].subject);
    expect(outcomes.filter((s) => s === Subjects.CatalogInventoryReserved)).toHaveLength(20);
    expect(outcomes.filter((s) => s === Subjects.CatalogInventoryReservationFailed)).toHaveLength(20);
    expect(await stockOf(a)).toBe(0);
    const [{ n }] = await priv.sql(
      'select coalesce(sum(quantity), 0)::int as n from $schema.inventory_reservations where product_id = $1',
      [a],
    );
    expect(n).toBe(20);
  });

  it('40 reserves in parallel transactions over two products in both orders: no oversell, no deadlock, sums consistent', async () => {
    const [a, b] = [await product(30), await product(30)];
    const orders = [...Array(40)].map((_, i) => ({
      orderId: randomUUID(),
      // Lines in both orders (a,b) and (b,a): the id-ordered row locks must prevent deadlocks.
      items:
        i % 2
          ? [
              { productId: a, quantity: 1 + (i % 3) },
              { productId: b, quantity: 1 },
            ]
          : [
              { productId: b, quantity: 2 },
              { productId: a, quantity: 1 + (i % 2) },
            ],
    }));
    const envelopes: EventEnvelope<typeof Subjects.CatalogInventoryReserve>[] = orders.map(({ orderId, items }) => ({
      id: randomUUID(),
      subject: Subjects.CatalogInventoryReserve,
      occurredAt: new Date().toISOString(),
      data: { sagaId: saga(orderId), orderId, items } satisfies PayloadOf<typeof Subjects.CatalogInventoryReserve>,
    }));
    const results = await Promise.allSettled(envelopes.map((e) => handleInventoryCommand(deps(), e, reserveInventory)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

    const [stockA, stockB] = [await stockOf(a), await stockOf(b)];
    expect(stockA).toBeGreaterThanOrEqual(0);
    expect(stockB).toBeGreaterThanOrEqual(0);
    const held = await priv.sql(
      'select product_id, sum(quantity)::int as n, count(distinct order_id)::int as orders from $schema.inventory_reservations where product_id = any($1) group by product_id',
      [[a, b]],
    );
    const heldOf = (id: string) => held.find((h) => h.product_id === id) ?? { n: 0, orders: 0 };
    expect(stockA + heldOf(a).n).toBe(30);
    expect(stockB + heldOf(b).n).toBe(30);
    // Every order got exactly both lines or none.
    const states = await priv.sql('select order_id, state from $schema.inventory_orders where order_id = any($1)', [
      orders.map((o) => o.orderId),
    ]);
    expect(states).toHaveLength(40);
    const reserved = states.filter((s) => s.state === 'reserved').map((s) => s.order_id);
    expect(heldOf(a).orders).toBe(reserved.length);
    expect(heldOf(b).orders).toBe(reserved.length);
    // It stopped only when stock ran short: no remaining order would have fitted.
    expect(reserved.length).toBeGreaterThan(5);
    const failedOrders = orders.filter((o) => !reserved.includes(o.orderId));
    for (const o of failedOrders) {
      const fits = o.items.every((line) => line.quantity <= (line.productId === a ? stockA : stockB));
      expect(fits, 'a failed order that fits the stock left').toBe(false);
    }
  });
});

describe('dead letters', () => {
  it('a malformed command goes to dlq.<subject> and the consumer carries on with the next one', async () => {
    const a = await product(5);
    const seen = deadLetters.length;
    await priv.bus.publishRaw(Subjects.CatalogInventoryReserve, '{ not json');
    const badOrder = randomUUID();
    await priv.bus.publishRaw(
      Subjects.CatalogInventoryReserve,
      JSON.stringify({
        id: randomUUID(),
        subject: Subjects.CatalogInventoryReserve,
        occurredAt: new Date().toISOString(),
        data: { sagaId: randomUUID(), orderId: badOrder, items: [{ productId: a, quantity: 0 }] },
      }),
    );
    await priv.bus.publishRaw(Subjects.CatalogInventoryRelease, JSON.stringify({ hello: 'world' }));
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: a, quantity: 2 }]);
    expect((await awaitReplies(orderId))[0].subject).toBe(Subjects.CatalogInventoryReserved);
    const letters = await eventually(async () => deadLetters.length >= seen + 3 && deadLetters.slice(seen));
    expect(letters.map((d) => d.subject).sort()).toEqual([
      Subjects.CatalogInventoryRelease,
      Subjects.CatalogInventoryReserve,
      Subjects.CatalogInventoryReserve,
    ]);
    expect(letters.find((d) => d.data === '{ not json')).toMatchObject({
      consumer: 'catalog-inventory-reserve',
      error: expect.stringMatching(/malformed JSON/),
    });
    expect(letters.some((d) => d.data.includes(badOrder) && /invalid envelope/.test(d.error))).toBe(true);
    expect(repliesFor(badOrder)).toEqual([]);
    expect(await stockOf(a)).toBe(3);
  });
});

describe('stock change events', () => {
  it('every stock change publishes catalog.stock.changed and live.stock.updated with {productId, newQuantity, updatedAt, version}, and refreshes cached reads', async () => {
    const a = await product(8);
    expect((await getProduct(deps(), a))!.stockQuantity).toBe(8); // cached now
    const orderId = randomUUID();
    await reserve(orderId, [{ productId: a, quantity: 3 }]);
    await awaitReplies(orderId);
    const changed = await eventually(async () => stockChanged.find((e) => e.data.productId === a));
    const broadcast = await eventually(async () => live.find((e) => e.data.productId === a));
    expect(Object.keys(changed.data).sort()).toEqual(['newQuantity', 'productId', 'updatedAt', 'version']);
    expect(broadcast.data).toEqual(changed.data);
    expect(changed.data).toMatchObject({ productId: a, newQuantity: 5, version: 1 });
    const row = (await priv.sql('select updated_at from $schema.products where id = $1', [a]))[0];
    expect(changed.data.updatedAt).toBe(new Date(row.updated_at).toISOString());
    expect((await getProduct(deps(), a))!.stockQuantity).toBe(5);

    await release(orderId);
    await eventually(async () => live.some((e) => e.data.productId === a && e.data.newQuantity === 8 && e.data.version === 2));
    await eventually(async () => stockChanged.some((e) => e.data.productId === a && e.data.newQuantity === 8 && e.data.version === 2));
    expect((await getProduct(deps(), a))!.stockQuantity).toBe(8);

    // An admin setting the stock is a stock change too.
    await updateProduct(deps(), { id: a, stockQuantity: 42 });
    await eventually(async () => live.some((e) => e.data.productId === a && e.data.newQuantity === 42 && e.data.version === 3));
    await eventually(async () => stockChanged.some((e) => e.data.productId === a && e.data.newQuantity === 42 && e.data.version === 3));
    // A change that leaves the stock alone announces none.
    const before = live.filter((e) => e.data.productId === a).length;
    await updateProduct(deps(), { id: a, name: unique('Renamed') });
    const marker = await product(1);
    await updateProduct(deps(), { id: marker, stockQuantity: 2 });
    await eventually(async () => live.some((e) => e.data.productId === marker));
    expect(live.filter((e) => e.data.productId === a)).toHaveLength(before);
    expect(live.find((e) => e.data.productId === marker)!.data.version).toBe(1);
  });

  it("gives each change of a product's stock its own version, in the order the changes were made, whichever path made it", async () => {
    const a = await product(100);
    const orders = Array.from({ length: 8 }, () => randomUUID());
    // Reservations and admin updates at once: they queue on the product's row lock.
    await Promise.all([
      ...orders.map((orderId) => reserve(orderId, [{ productId: a, quantity: 1 }])),
      ...[300, 200, 250].map((stockQuantity) => updateProduct(deps(), { id: a, stockQuantity })),
    ]);
    for (const orderId of orders) await awaitReplies(orderId);
    const changes = await eventually(async () => {
      const heard = live.filter((e) => e.data.productId === a);
      return new Set(heard.map((e) => e.data.version)).size >= orders.length + 3 && heard;
    });
    // Every change has its number, 1 to 11 with none missing; a broadcast heard twice carries the same change both times.
    const byVersion = new Map<number, Set<number>>();
    for (const { data } of changes) byVersion.set(data.version!, (byVersion.get(data.version!) ?? new Set()).add(data.newQuantity));
    expect([...byVersion.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: orders.length + 3 }, (_, i) => i + 1));
    expect([...byVersion.values()].every((quantities) => quantities.size === 1)).toBe(true);
    // The newest version carries the stock the product has now, whatever order the events came in.
    const newest = changes.find((e) => e.data.version === orders.length + 3)!;
    expect(newest.data.newQuantity).toBe(await stockOf(a));
    const [row] = await priv.sql('select stock_version from $schema.products where id = $1', [a]);
    expect(Number(row.stock_version)).toBe(orders.length + 3);
  });
});
