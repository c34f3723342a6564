/**
 * coalesceWrites on a real connection: what is sent during one turn of the event loop, in
 * separate microtasks (as a handler sends its broadcast, its outbox rows and its ack), leaves in
 * one socket write, and arrives complete and in order; a large burst is still written as it
 * grows; a connection of another shape is left alone.
 */
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from '../src/coalesce-writes.js';

const url = process.env.NATS_URL ?? '127.0.0.1:4222';
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Counts the frames the connection hands its socket. */
function countWrites(nc: NatsConnection) {
  const transport = (nc as unknown as { protocol: { transport: { send(frame: Uint8Array): void } } }).protocol.transport;
  const send = transport.send.bind(transport);
  const counter = { writes: 0 };
  transport.send = (frame) => {
    counter.writes++;
    send(frame);
  };
  return counter;
}

describe('coalesceWrites', () => {
  const connections: NatsConnection[] = [];
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });

  const open = async () => {
    const nc = await connect({ servers: url });
    connections.push(nc);
    return nc;
  };

  it('sends what one loop turn sent, in separate microtasks, as one write, in order', async () => {
    const subject = `coalesce.${randomBytes(6).toString('hex')}`;
    const listener = await open();
    const heard: string[] = [];
    const sub = listener.subscribe(subject, { callback: (_err, msg) => void heard.push(msg.string()) });
    await listener.flush();

    const nc = await open();
    expect(coalesceWrites(nc)).toBe(true);
    await nc.flush();
    const counter = countWrites(nc);
    nc.publish(subject, 'one');
    await Promise.resolve();
    nc.publish(subject, 'two');
    await Promise.resolve().then(() => undefined);
    nc.publish(subject, 'three');
    await nextTurn();
    expect(counter.writes).toBe(1);

    await nc.flush();
    await listener.flush();
    expect(heard).toEqual(['one', 'two', 'three']);
    sub.unsubscribe();
  });

  it('without it, nats.js writes once per microtask checkpoint (what this saves)', async () => {
    const nc = await open();
    await nc.flush();
    const counter = countWrites(nc);
    const subject = `coalesce.${randomBytes(6).toString('hex')}`;
    nc.publish(subject, 'one');
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    nc.publish(subject, 'two');
    await nextTurn();
    expect(counter.writes).toBe(2);
  });

  it('still writes a burst past the pending limit at once, and a flush() at once', async () => {
    const nc = await open();
    coalesceWrites(nc);
    await nc.flush();
    const counter = countWrites(nc);
    const subject = `coalesce.${randomBytes(6).toString('hex')}`;
    const big = new Uint8Array(64 * 1024);
    for (let i = 0; i < 4; i++) nc.publish(subject, big);
    // nats.js's limit is 32 KiB: each message past it is written as it is sent, before the turn ends.
    expect(counter.writes).toBeGreaterThan(0);
    const before = counter.writes;
    nc.publish(subject, 'small');
    const pong = nc.flush();
    expect(counter.writes).toBe(before + 1);
    await pong;
  });

  it('leaves a connection of another shape alone and says so', () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (_: object, msg?: string) => void warnings.push(msg ?? ''), error() {} };
    expect(coalesceWrites({ protocol: {} } as unknown as NatsConnection, logger)).toBe(false);
    expect(warnings).toEqual(['nats.js internals changed: socket writes are not coalesced']);
  });
});
