/**
 * connectCoalescing against the real NATS server: what a connection sends while one event-loop
 * turn runs (publishes separated by awaits, as a handler's publish, ack and next pull are) leaves
 * in one socket write, in order; the library's own transport writes once per microtask turn.
 * Requests, flushes and a drain right after a publish behave as with the library's `connect`.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCoalescing } from '../src/coalescing-transport.js';
import { settle, waitFor } from './helpers.js';

const url = process.env.NATS_URL ?? '127.0.0.1:4222';
const MESSAGES = 40;

/** Counts the socket writes (write and writev calls) a connection makes while `fn` runs. */
async function countWrites(nc: NatsConnection, fn: () => Promise<void>): Promise<number> {
  const socket = (nc as unknown as { protocol: { transport: { socket: Socket } } }).protocol.transport.socket;
  const counted = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  const write = counted._write;
  const writev = counted._writev;
  let writes = 0;
  counted._write = function (this: Socket, ...args: unknown[]) {
    writes++;
    return write.apply(this, args);
  };
  counted._writev = function (this: Socket, ...args: unknown[]) {
    writes++;
    return writev.apply(this, args);
  };
  try {
    await fn();
  } finally {
    counted._write = write;
    counted._writev = writev;
  }
  return writes;
}

/** Publishes MESSAGES messages in one turn, each after an await (a microtask turn apart), then waits for the socket. */
async function publishAcrossMicrotasks(nc: NatsConnection, subject: string): Promise<void> {
  await new Promise<void>((resolve) => {
    setImmediate(async () => {
      for (let i = 0; i < MESSAGES; i++) {
        nc.publish(subject, `m${i}`);
        await Promise.resolve();
      }
      resolve();
    });
  });
  await settle(50); // the corked writes leave in the turn's check phase
}

describe('connectCoalescing', () => {
  let listener: NatsConnection;
  let coalescing: NatsConnection;
  let plain: NatsConnection;
  const prefix = `coalesce.${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    listener = await connect({ servers: url });
    coalescing = await connectCoalescing({ servers: url, noAsyncTraces: true });
    plain = await connect({ servers: url, noAsyncTraces: true });
    listener.subscribe(`${prefix}.echo`, { callback: (_err, msg) => void msg.respond(`echo ${msg.string()}`) });
    await listener.flush();
  });

  afterAll(async () => {
    await Promise.all([listener, coalescing, plain].map((nc) => nc?.close()));
  });

  /** What a subscriber on `subject` hears of the messages `publish` sends, in order. */
  async function heard(subject: string, publish: () => Promise<void>): Promise<string[]> {
    const got: string[] = [];
    const sub = listener.subscribe(subject, { callback: (_err, msg) => void got.push(msg.string()) });
    await listener.flush();
    await publish();
    await waitFor(() => got.length >= MESSAGES, { what: `${MESSAGES} messages on ${subject}` }).finally(() => sub.unsubscribe());
    return got;
  }

  const expected = Array.from({ length: MESSAGES }, (_, i) => `m${i}`);

  it('sends what one turn wrote in one socket write, in order', async () => {
    let writes = 0;
    const got = await heard(`${prefix}.one`, async () => {
      writes = await countWrites(coalescing, () => publishAcrossMicrotasks(coalescing, `${prefix}.one`));
    });
    expect(got).toEqual(expected);
    expect(writes).toBe(1);
  });

  it('where the library transport writes once per microtask turn (the case it saves)', async () => {
    let writes = 0;
    const got = await heard(`${prefix}.plain`, async () => {
      writes = await countWrites(plain, () => publishAcrossMicrotasks(plain, `${prefix}.plain`));
    });
    expect(got).toEqual(expected);
    expect(writes).toBe(MESSAGES);
  });

  it('answers requests and flushes as the library connection does', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => coalescing.request(`${prefix}.echo`, `r${i}`, { timeout: 2_000 })),
    );
    expect(answers.map((m) => m.string())).toEqual(Array.from({ length: 10 }, (_, i) => `echo r${i}`));
    await expect(coalescing.flush()).resolves.toBeUndefined();
  });

  it('delivers what was published just before a drain (how the event bus closes)', async () => {
    const nc = await connectCoalescing({ servers: url });
    const got = await heard(`${prefix}.drain`, async () => {
      for (let i = 0; i < MESSAGES; i++) nc.publish(`${prefix}.drain`, `m${i}`);
      await nc.drain();
    });
    expect(got).toEqual(expected);
    expect(nc.isClosed()).toBe(true);
  });
});
