/**
 * The outbox relay on the orders outbox (real Postgres), with a bus that records every publish
 * and fails on demand: rows go out in `seq` order (the first alone, the rest pipelined), each is
 * marked sent once; a failed publish leaves it and every later row unsent, to go again in order;
 * a bus that is down costs one publish per round.
 */
import { randomUUID } from 'node:crypto';
import { type EventBus, Subjects } from '@app/events';
import { OutboxRelay, writeOutbox } from '@app/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxMessage } from '../src/entities/index.js';
import { type OrdersTestDatabase, openOrdersTestDatabase } from './support/orders-test-database.js';

/** Records what is published (subject and order id); `failOn` makes a publish of that order id fail. */
class RecordingBus {
  readonly published: string[] = [];
  readonly attempted: string[] = [];
  failOn = new Set<string>();

  private record(subject: string, data: { orderId: string }) {
    this.attempted.push(data.orderId);
    if (this.failOn.has(data.orderId)) throw new Error(`broker refused ${subject}`);
    this.published.push(data.orderId);
  }

  async publish(subject: string, data: { orderId: string }) {
    this.record(subject, data);
  }

  async broadcast(subject: string, data: { orderId: string }) {
    this.record(subject, data);
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
