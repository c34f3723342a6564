import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventBus, MemoryEventBus, NatsEventBus, Subjects } from '@app/events';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, type NatsServerProcess, startNatsServer } from '../../events/test/nats-servers.js';
import { registerEventBusMetrics } from '../src/observability/event-bus-metrics.js';

const url = process.env.NATS_URL ?? '127.0.0.1:4222';

/** The value of one sample line (`name{labels} value`), or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const fast = { ackWaitMs: 2_000, backoffMs: 10, maxDeliver: 2 };

describe('registerEventBusMetrics', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function exercise(bus: EventBus) {
    const registry = new Registry();
    registerEventBusMetrics(registry, bus);
    registerEventBusMetrics(registry, bus); // a second call on one registry is a no-op, not a duplicate-name error
    const scrape = () => registry.metrics();

    let text = await scrape();
    expect(sample(text, 'events_bus_up')).toBe(1);
    expect(sample(text, 'events_dead_letters_stored', { subject: Subjects.UsersUserDeleted })).toBe(0);
    expect(sample(text, 'events_dead_letters_stored', { subject: Subjects.OrdersOrderUpdated })).toBe(0);
    expect(sample(text, 'events_dead_lettered_total')).toBeUndefined();

    let attempts = 0;
    await bus.subscribe(Subjects.UsersUserDeleted, async () => void attempts++, { durable: 'erasure', ...fast });
    await bus.publishRaw(Subjects.UsersUserDeleted, 'never valid');
    await bus.publishRaw(Subjects.UsersUserDeleted, '{"still": "not an event"}');
    await until(
      async () => sample(await scrape(), 'events_dead_letters_stored', { subject: Subjects.UsersUserDeleted }) === 2,
      'two stored dead letters',
    );
    // This process counts a dead letter once its store is acknowledged, which may arrive just after the stats.
    await until(
      async () => sample(await scrape(), 'events_dead_lettered_total', { subject: Subjects.UsersUserDeleted, consumer: 'erasure' }) === 2,
      'two dead letters counted by this process',
    );

    text = await scrape();
    expect(text).toMatch(/^# TYPE events_dead_letters_stored gauge/m);
    expect(text).toMatch(/^# TYPE events_dead_lettered_total counter/m);
    expect(sample(text, 'events_dead_lettered_total', { subject: Subjects.UsersUserDeleted, consumer: 'erasure' })).toBe(2);
    expect(sample(text, 'events_dead_letters_stored', { subject: Subjects.UsersUserErased })).toBe(0);
    expect(attempts).toBe(0);

    // The operator discards one: the stored figure drops, what this process dead-lettered does not.
    const [first] = await bus.listDeadLetters();
    await bus.discardDeadLetter(first!.seq);
    text = await scrape();
    expect(sample(text, 'events_dead_letters_stored', { subject: Subjects.UsersUserDeleted })).toBe(1);
    expect(sample(text, 'events_dead_lettered_total', { subject: Subjects.UsersUserDeleted, consumer: 'erasure' })).toBe(2);
  }

  it('reports stored and dead-lettered messages of an in-process bus', async () => {
    const bus = new MemoryEventBus();
    cleanups.push(() => bus.close());
    await exercise(bus);
  });

  it('reports stored and dead-lettered messages of a NATS bus', async () => {
    const namespace = `t${randomBytes(5).toString('hex')}`;
    const bus = await NatsEventBus.connect({ url, namespace });
    cleanups.push(async () => {
      await bus.deleteNamespaceStreams();
      await bus.close();
    });
    await exercise(bus);
  });

  it('answers within the bound with events_bus_up 0 when the bus does not answer', async () => {
    const bus = new MemoryEventBus();
    cleanups.push(() => bus.close());
    let calls = 0;
    const hanging = new Proxy(bus, {
      get(target, key, receiver) {
        if (key === 'deadLetterStats') return () => (calls++, new Promise(() => {}));
        return Reflect.get(target, key, receiver);
      },
    });
    const registry = new Registry();
    registerEventBusMetrics(registry, hanging, { timeoutMs: 200 });
    const started = Date.now();
    const text = await registry.metrics();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(sample(text, 'events_bus_up')).toBe(0);
    expect(sample(text, 'events_dead_letters_stored', { subject: Subjects.UsersUserDeleted })).toBeUndefined();
    // One request for the whole scrape, and a second scrape waits on it rather than adding another.
    await registry.metrics();
    expect(calls).toBe(1);
  });

  it('does not hang the scrape while NATS is down, and recovers when it is back', async () => {
    const port = await freePort();
    const storeDir = mkdtempSync(join(tmpdir(), 'nats-metrics-'));
    cleanups.push(async () => rmSync(storeDir, { recursive: true, force: true }));
    let server: NatsServerProcess | undefined = await startNatsServer(port, [], { storeDir });
    cleanups.push(async () => server?.stop());
    const bus = await NatsEventBus.connect({ url: server.url, namespace: 'metrics' });
    cleanups.push(() => bus.close());
    const registry = new Registry();
    registerEventBusMetrics(registry, bus);
    expect(sample(await registry.metrics(), 'events_bus_up')).toBe(1);

    await server.stop();
    server = undefined;
    const started = Date.now();
    const text = await registry.metrics();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(sample(text, 'events_bus_up')).toBe(0);
    expect(sample(text, 'events_dead_letters_stored', { subject: Subjects.UsersUserDeleted })).toBeUndefined();

    server = await startNatsServer(port, [], { storeDir });
    await until(async () => sample(await registry.metrics(), 'events_bus_up') === 1, 'the bus back up', 15_000);
  }, 30_000);
});
