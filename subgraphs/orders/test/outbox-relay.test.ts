/**
 * The outbox relay on the orders outbox (real Postgres), with a bus that records every publish
 * and fails on demand: rows go out in `seq` order (the first alone, the rest pipelined), each is
 * marked sent once; a failed publish leaves it and every later row unsent, to go again in order;
 * a bus that is down costs one publish per round. Rows published right after their commit
 * (`publishCommitted`) go out with no relay round, are left alone by rounds while in flight, and
 * after a failure the relay takes over until the outbox is drained, so nothing overtakes them.
 */
import { randomUUID } from 'node:crypto';
import { type EventBus, Subjects } from '@app/events';
import {
  groupOutboxRecords,
  type OutboxRecord,
  OutboxRelay,
  outboxInsert,
  outboxRecord,
  writeOutbox,
  writeOutboxRecord,
} from '@app/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxMessage } from '../src/entities/index.js';
import { type OrdersTestDatabase, openOrdersTestDatabase } from './support/orders-test-database.js';

/** Records what is published (subject and order id); `failOn` makes a publish of that order id fail. */
class RecordingBus {
  readonly published: string[] = [];
  readonly attempted: string[] = [];
  /** Every publish that went through, as `<subject> <order id> <version or ->`. */
  readonly log: string[] = [];
  failOn = new Set<string>();
  /** Every publish on such a subject fails. */
  failSubjects = new Set<string>();
  /** A publish of such an order id waits for this promise. */
  holdOn = new Map<string, Promise<void>>();

  private async record(subject: string, data: { orderId: string; version?: number }) {
    this.attempted.push(data.orderId);
    if (this.failOn.has(data.orderId) || this.failSubjects.has(subject)) throw new Error(`broker refused ${subject}`);
    await this.holdOn.get(data.orderId);
    this.published.push(data.orderId);
    this.log.push(`${subject} ${data.orderId} ${data.version ?? '-'}`);
  }

  publish(subject: string, data: { orderId: string }) {
    return this.record(subject, data);
  }

  broadcast(subject: string, data: { orderId: string }) {
    return this.record(subject, data);
  }
}

let db: OrdersTestDatabase;
let bus: RecordingBus;
let relay: OutboxRelay;

beforeAll(async () => {
  db = await openOrdersTestDatabase();
  bus = new RecordingBus();
  relay = new OutboxRelay({
    name: 'orders-relay-test',
    em: db.orm.em,
    bus: bus as unknown as EventBus,
    logger: db.deps.logger,
    schema: db.deps.config.DB_SCHEMA,
    pollIntervalMs: 60_000,
  });
});

afterAll(async () => {
  await db?.close();
});

/** `count` rows in one transaction, alternating a durable and a fan-out subject; their order ids in `seq` order. */
async function writeRows(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await db.orm.em.fork().transactional(async (tx) => {
    for (const [i, orderId] of ids.entries()) {
      const now = new Date();
      if (i % 2 === 0) {
        writeOutbox(tx, Subjects.OrdersOrderUpdated, {
          orderId,
          userId: randomUUID(),
          status: 'PROCESSING',
          sagaStatus: null,
          currentStep: null,
          occurredAt: now.toISOString(),
        });
      } else {
        writeOutbox(tx, Subjects.LiveOrderUpdated, {
          orderId,
          userId: randomUUID(),
          version: 1,
          status: 'PROCESSING',
          updatedAt: now.toISOString(),
          sagaState: null,
        });
      }
    }
  });
  return ids;
}

/** One committed transaction of `count` rows (durable), built as a use case does; the records, in order. */
async function commitRecords(count: number): Promise<OutboxRecord[]> {
  const records = Array.from({ length: count }, () =>
    outboxRecord(Subjects.OrdersOrderUpdated, {
      orderId: randomUUID(),
      userId: randomUUID(),
      status: 'PROCESSING',
      sagaStatus: null,
      currentStep: null,
      occurredAt: new Date().toISOString(),
    }),
  );
  const insert = outboxInsert(db.orm.em, records)!;
  await db.orm.em.fork().transactional((tx) => tx.execute(insert.sql, insert.params));
  return records;
}
const orderIdsOf = (records: OutboxRecord[]) => records.map((r) => r.payload.orderId as string);

const rowsOf = async (ids: string[]) => {
  const rows = await db.orm.em.fork().find(OutboxMessage, {}, { orderBy: { seq: 'asc' } });
  return rows.filter((r) => ids.includes(r.payload.orderId as string));
};

describe('the outbox relay', () => {
  it('publishes every unsent row in seq order, once, and marks each sent', async () => {
    const ids = await writeRows(25);
    bus.published.length = 0;
    expect(await relay.relayOnce()).toBe(25);
    expect(bus.published).toEqual(ids);
    const rows = await rowsOf(ids);
    expect(rows.every((r) => r.sentAt && r.attempts === 1 && r.lastError === null)).toBe(true);
    expect(await relay.relayOnce()).toBe(0);
    expect(bus.published).toHaveLength(25);
  });

  it('a failed publish stops the round: it and the rows after it stay unsent, and go again in order', async () => {
    const ids = await writeRows(12);
    bus.published.length = 0;
    bus.failOn = new Set([ids[5]]);
    expect(await relay.relayOnce()).toBe(5);
    let rows = await rowsOf(ids);
    expect(rows.filter((r) => r.sentAt).map((r) => r.payload.orderId)).toEqual(ids.slice(0, 5));
    expect(rows[5]).toMatchObject({ sentAt: null, attempts: 1, lastError: `broker refused ${Subjects.LiveOrderUpdated}` });

    bus.failOn.clear();
    bus.published.length = 0;
    expect(await relay.relayOnce()).toBe(7);
    // The rows after the failure reached the bus in the first round too (pipelined): for durable
    // subjects JetStream drops the second copy (same message id); what matters is the order here.
    expect(bus.published).toEqual(ids.slice(5));
    rows = await rowsOf(ids);
    expect(rows.every((r) => r.sentAt)).toBe(true);
    expect(rows[5]).toMatchObject({ attempts: 2 });
  });

  it('with the bus down, a round tries the first row only', async () => {
    const ids = await writeRows(10);
    bus.attempted.length = 0;
    bus.failOn = new Set(ids);
    expect(await relay.relayOnce()).toBe(0);
    expect(bus.attempted).toEqual([ids[0]]);
    bus.failOn.clear();
    expect(await relay.relayOnce()).toBe(10);
    expect((await rowsOf(ids)).every((r) => r.sentAt)).toBe(true);
  });
});

describe('publishing committed rows at once (publishCommitted)', () => {
  it('publishes them with no relay round, in order, and marks them sent', async () => {
    // A fresh relay sends through rounds until one has drained what a previous run left.
    expect(await relay.relayOnce()).toBeGreaterThanOrEqual(0);
    const records = await commitRecords(6);
    bus.published.length = 0;
    relay.publishCommitted(records);
    await eventually(async () => (await rowsOf(orderIdsOf(records))).every((r) => r.sentAt && r.attempts === 1));
    expect(bus.published).toEqual(orderIdsOf(records));
    // Nothing left for the relay.
    expect(await relay.relayOnce()).toBe(0);
    expect(bus.published).toHaveLength(6);
  });

  it('a relay round leaves rows being published alone; a poll leaves young rows to their writer', async () => {
    await relay.relayOnce();
    const [held] = await commitRecords(1);
    let release = () => {};
    bus.holdOn.set(held.payload.orderId as string, new Promise<void>((r) => (release = r)));
    bus.attempted.length = 0;
    relay.publishCommitted([held]);
    expect(await relay.relayOnce()).toBe(0);
    expect(bus.attempted).toEqual([held.payload.orderId]);
    release();
    await eventually(async () => (await rowsOf(orderIdsOf([held])))[0].sentAt !== null);

    // Another replica's rows, just committed: a timed poll does not take them, a later one does.
    const young = await commitRecords(1);
    expect(await relay.relayOnce({ olderThan: new Date(Date.now() - 60_000) })).toBe(0);
    expect(await relay.relayOnce({ olderThan: new Date(Date.now() + 1_000) })).toBe(1);
    expect((await rowsOf(orderIdsOf(young)))[0].sentAt).not.toBeNull();
  });

  it('after a failed publish, later commits wait for the relay, which sends everything in order', async () => {
    await relay.relayOnce();
    const first = await commitRecords(2);
    bus.failOn = new Set([first[0].payload.orderId as string]);
    bus.attempted.length = 0;
    relay.publishCommitted(first);
    await eventually(async () => bus.attempted.length === 2);
    const later = await commitRecords(2);
    relay.publishCommitted(later);
    // The row that went out is marked sent (a moment after its publish); the failed one is not.
    await eventually(async () => (await rowsOf(orderIdsOf(first)))[1].sentAt !== null);
    expect((await rowsOf(orderIdsOf(first)))[0].sentAt).toBeNull();
    // Not published by this process: the relay owes the failed row first.
    expect(bus.attempted).toHaveLength(2);

    bus.failOn.clear();
    bus.published.length = 0;
    expect(await relay.relayOnce()).toBe(3);
    expect(bus.published).toEqual([first[0], ...later].map((r) => r.payload.orderId));
    // Drained: the next commit goes out at once again.
    const next = await commitRecords(1);
    relay.publishCommitted(next);
    await eventually(async () => (await rowsOf(orderIdsOf(next)))[0].sentAt !== null);
  });
});

/** An order's transition as the saga writes it: `orders.order.updated` with `live.order.updated` riding on its row. */
const transition = (orderId: string, version: number) => {
  const now = new Date().toISOString();
  return outboxRecord(
    Subjects.OrdersOrderUpdated,
    { orderId, userId: randomUUID(), status: 'PROCESSING', sagaStatus: null, currentStep: null, occurredAt: now },
    {
      broadcast: {
        subject: Subjects.LiveOrderUpdated,
        payload: { orderId, userId: randomUUID(), version, status: 'PROCESSING', updatedAt: now, sagaState: null },
      },
    },
  );
};

describe('a row that carries a broadcast', () => {
  it('goes out as its message, then the broadcast, from the relay and from publishCommitted alike', async () => {
    await relay.relayOnce();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    // Through the unit of work, sent by a relay round.
    await db.orm.em.fork().transactional(async (tx) => {
      writeOutboxRecord(tx, transition(a, 1));
      writeOutboxRecord(tx, transition(b, 2));
    });
    expect(await rowsOf([a, b])).toHaveLength(2);
    bus.log.length = 0;
    expect(await relay.relayOnce()).toBe(2);
    expect(bus.log).toEqual([
      `${Subjects.OrdersOrderUpdated} ${a} -`,
      `${Subjects.LiveOrderUpdated} ${a} 1`,
      `${Subjects.OrdersOrderUpdated} ${b} -`,
      `${Subjects.LiveOrderUpdated} ${b} 2`,
    ]);

    // With plain SQL, published at once after the commit.
    const record = transition(c, 3);
    const insert = outboxInsert(db.orm.em, [record])!;
    await db.orm.em.fork().transactional((tx) => tx.execute(insert.sql, insert.params));
    expect(await rowsOf([c])).toMatchObject([{ broadcastSubject: Subjects.LiveOrderUpdated, broadcastPayload: { version: 3 } }]);
    bus.log.length = 0;
    relay.publishCommitted([record]);
    await eventually(async () => (await rowsOf([c]))[0].sentAt !== null);
    expect(bus.log).toEqual([`${Subjects.OrdersOrderUpdated} ${c} -`, `${Subjects.LiveOrderUpdated} ${c} 3`]);
  });

  it('a failed broadcast leaves the row unsent: both go again (the durable copy is then a duplicate JetStream drops)', async () => {
    await relay.relayOnce();
    const orderId = randomUUID();
    await db.orm.em.fork().transactional(async (tx) => void writeOutboxRecord(tx, transition(orderId, 1)));
    bus.failSubjects = new Set([Subjects.LiveOrderUpdated]);
    bus.log.length = 0;
    expect(await relay.relayOnce()).toBe(0);
    expect(bus.log).toEqual([`${Subjects.OrdersOrderUpdated} ${orderId} -`]);
    expect((await rowsOf([orderId]))[0]).toMatchObject({ sentAt: null, lastError: `broker refused ${Subjects.LiveOrderUpdated}` });

    bus.failSubjects.clear();
    bus.log.length = 0;
    expect(await relay.relayOnce()).toBe(1);
    expect(bus.log).toEqual([`${Subjects.OrdersOrderUpdated} ${orderId} -`, `${Subjects.LiveOrderUpdated} ${orderId} 1`]);
  });

  it('is refused on a fan-out message, and when the payload does not fit the broadcast subject (nothing to write)', () => {
    const orderId = randomUUID();
    const live = {
      orderId,
      userId: randomUUID(),
      version: 1,
      status: 'PROCESSING' as const,
      updatedAt: new Date().toISOString(),
      sagaState: null,
    };
    expect(() =>
      outboxRecord(Subjects.LiveOrderUpdated, live, { broadcast: { subject: Subjects.LiveOrderUpdated, payload: live } }),
    ).toThrow(/rides with a durable message/);
    // orders.order.updated's payload is not a live.order.updated (no version): it may not ride as one.
    expect(() =>
      outboxRecord(
        Subjects.OrdersOrderUpdated,
        { orderId, userId: randomUUID(), status: 'PROCESSING', sagaStatus: null, currentStep: null, occurredAt: new Date().toISOString() },
        { broadcast: { subject: Subjects.LiveOrderUpdated } },
      ),
    ).toThrow();
  });
});

describe('the messages of a commit as one row (groupOutboxRecords)', () => {
  /** A transition, the commit command, another transition: as a saga transaction writes them. */
  const commitOf = (orderId: string) => [
    transition(orderId, 2),
    outboxRecord(Subjects.CatalogInventoryCommit, { sagaId: randomUUID(), orderId }),
    transition(orderId, 3),
  ];
  const published = (orderId: string) => [
    `${Subjects.OrdersOrderUpdated} ${orderId} -`,
    `${Subjects.LiveOrderUpdated} ${orderId} 2`,
    `${Subjects.CatalogInventoryCommit} ${orderId} -`,
    `${Subjects.OrdersOrderUpdated} ${orderId} -`,
    `${Subjects.LiveOrderUpdated} ${orderId} 3`,
  ];

  it('writes one row that goes out as every message in order, each with its broadcast, from publishCommitted and the relay', async () => {
    await relay.relayOnce();
    const [a, b] = [randomUUID(), randomUUID()];
    const grouped = groupOutboxRecords(commitOf(a));
    expect(grouped).toHaveLength(1);
    const insert = outboxInsert(db.orm.em, grouped)!;
    await db.orm.em.fork().transactional((tx) => tx.execute(insert.sql, insert.params));
    const [row] = await rowsOf([a]);
    expect(row.followers?.map((f) => f.subject)).toEqual([Subjects.CatalogInventoryCommit, Subjects.OrdersOrderUpdated]);
    bus.log.length = 0;
    relay.publishCommitted(grouped);
    await eventually(async () => (await rowsOf([a]))[0].sentAt !== null);
    expect(bus.log).toEqual(published(a));

    // Through the unit of work, sent by a relay round.
    await db.orm.em.fork().transactional(async (tx) => {
      for (const record of groupOutboxRecords(commitOf(b))) writeOutboxRecord(tx, record);
    });
    bus.log.length = 0;
    expect(await relay.relayOnce()).toBe(1);
    expect(bus.log).toEqual(published(b));
  });

  it('is sent as a whole: a follower that fails leaves the row unsent, and every message goes again', async () => {
    await relay.relayOnce();
    const orderId = randomUUID();
    await db.orm.em.fork().transactional(async (tx) => {
      for (const record of groupOutboxRecords(commitOf(orderId))) writeOutboxRecord(tx, record);
    });
    bus.failSubjects = new Set([Subjects.CatalogInventoryCommit]);
    bus.log.length = 0;
    expect(await relay.relayOnce()).toBe(0);
    expect((await rowsOf([orderId]))[0]).toMatchObject({ sentAt: null, lastError: `broker refused ${Subjects.CatalogInventoryCommit}` });
    bus.failSubjects.clear();
    bus.log.length = 0;
    expect(await relay.relayOnce()).toBe(1);
    expect(bus.log).toEqual(published(orderId));
  });

  it('leaves a single message as it is and refuses to group a row twice', () => {
    const [one] = commitOf(randomUUID());
    expect(groupOutboxRecords([one])).toEqual([one]);
    expect(groupOutboxRecords([])).toEqual([]);
    expect(() => groupOutboxRecords([...groupOutboxRecords(commitOf(randomUUID())), one])).toThrow(/grouped twice/);
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
