/**
 * The orders outbox relay while NATS is down: orders are still taken (the outbox holds their
 * commands), the relay keeps retrying without piling up work, and once the broker is back every
 * row is published, in order, once.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsEventBus, Subjects } from '@app/events';
import { buildOrdersService, loadOrdersConfig, type OrdersService } from '@app/orders';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, platformEnv, registerAndLogin, type TestUser } from './support/client.js';
import { placeOrder, untilOrdersKnow } from './support/orders.js';
import { freePort } from './support/ports.js';

// The suite stops and restarts a NATS server of its own; without the binary it cannot run, and
// says so as a failure (a skipped outage suite would look like a passing one).
const natsServerCheck = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
const natsServerMissing =
  natsServerCheck.status === 0
    ? undefined
    : `nats-server is not runnable (${natsServerCheck.error?.message ?? `exit ${natsServerCheck.status}: ${natsServerCheck.stderr}`.trim()}): ` +
      'this suite starts a private nats-server to take NATS down and bring it back. Put nats-server on PATH ' +
      '(Debian/Ubuntu: apt-get install nats-server; or https://github.com/nats-io/nats-server/releases) and run it again.';

describe('the orders outbox relay across a NATS outage (a private nats-server)', () => {
  const suffix = randomBytes(4).toString('hex');
  const schema = `orders_o${suffix}`;
  const namespace = `t${suffix}out`;
  const storeDir = mkdtempSync(join(tmpdir(), 'nats-outage-'));
  let port = 0;
  let nats: ChildProcess | undefined;
  let orders: OrdersService | undefined;
  let url = '';
  let db: pg.Pool;
  let user: TestUser;
  const productId = randomUUID();
  const natsUrl = () => `nats://127.0.0.1:${port}`;

  async function startNats() {
    nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
    await eventually(async () => {
      const bus = await NatsEventBus.connect({ url: natsUrl(), namespace }).catch(() => null);
      await bus?.close();
      return !!bus;
    });
  }
  async function stopNats() {
    const proc = nats;
    nats = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  beforeAll(async () => {
    if (natsServerMissing) return; // each test fails with the reason (a failed hook would count its tests as skipped)
    port = await freePort();
    await startNats();
    db = new pg.Pool({ connectionString: inject('env').DATABASE_URL, max: 2 });
    const config = loadOrdersConfig({
      ...platformEnv(),
      NATS_URL: natsUrl(),
      NATS_NAMESPACE: namespace,
      DB_SCHEMA: schema,
      SAGA_STEP_TIMEOUT: '60',
      OUTBOX_POLL_INTERVAL: '0.2',
    });
    orders = await buildOrdersService({ config, databaseUrl: inject('env').DATABASE_URL });
    url = `http://127.0.0.1:${await orders.listen(0, '127.0.0.1')}/graphql`;
    const bus = await NatsEventBus.connect({ url: natsUrl(), namespace });
    await bus.publish(Subjects.CatalogProductUpserted, {
      productId,
      name: 'Outage widget',
      price: '2',
      categoryId: null,
      updatedAt: new Date().toISOString(),
    });
    await bus.close();
    user = await registerAndLogin('outage');
    await untilOrdersKnow(user.accessToken, [productId], { url });
  });

  afterAll(async () => {
    await orders?.close();
    await stopNats();
    await db?.query(`drop schema if exists "${schema}" cascade`);
    await db?.end();
    rmSync(storeDir, { recursive: true, force: true });
  });

  const outbox = async () =>
    (await db.query(`select seq, id, subject, sent_at, attempts from "${schema}".outbox order by seq`)).rows as {
      seq: number;
      id: string;
      subject: string;
      sent_at: Date | null;
      attempts: number;
    }[];

  it('takes orders while NATS is down and publishes their commands once it is back', async () => {
    if (natsServerMissing) throw new Error(natsServerMissing);
    await stopNats();
    const placed = [];
    for (let i = 0; i < 3; i++) placed.push(await placeOrder(user.accessToken, [{ productId, quantity: 1 }], { url }));
    await new Promise((r) => setTimeout(r, 8_000));
    const during = await outbox();
    expect(during.filter((r) => r.subject === Subjects.CatalogInventoryReserve && !r.sent_at).length).toBe(3);

    await startNats();
    await eventually(async () => (await outbox()).every((r) => r.sent_at), 20_000, 200);

    // Each reserve command is in the stream once, in the order the orders were placed.
    const bus = await NatsEventBus.connect({ url: natsUrl(), namespace });
    const seen: string[] = [];
    const sub = await bus.subscribe(Subjects.CatalogInventoryReserve, async (e) => void seen.push(e.data.orderId), {
      durable: `t_reserve_${suffix}`,
      startAt: 'stored',
    });
    try {
      await eventually(async () => seen.length >= 3);
      await new Promise((r) => setTimeout(r, 500));
      expect(seen).toEqual(placed.map((p) => p.id));
    } finally {
      await sub.unsubscribe();
      await bus.close();
    }
  }, 60_000);
});
