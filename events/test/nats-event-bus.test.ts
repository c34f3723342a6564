import { randomBytes } from 'node:crypto';
import { AckPolicy, DiscardPolicy, type JetStreamManager, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { consumerNameFor, deadLetterSubject, EventBusConfigError, NatsEventBus, Subjects } from '../src/index.js';
import { eventBusContract } from './event-bus.contract.js';
import { userDeleted, waitFor } from './helpers.js';

const url = process.env.NATS_URL ?? '127.0.0.1:4222';

const randomNamespace = () => `t${randomBytes(5).toString('hex')}`;

/** Two connections (replicas) on one isolated namespace; streams deleted afterwards. */
async function openNamespace() {
  const namespace = randomNamespace();
  const bus = await NatsEventBus.connect({ url, namespace });
  const peer = await NatsEventBus.connect({ url, namespace });
  return {
    namespace,
    bus,
    peer,
    async teardown() {
      await Promise.all([bus.close(), peer.close()]);
      const admin = await NatsEventBus.connect({ url, namespace });
      await admin.deleteNamespaceStreams();
      await admin.close();
    },
  };
}

/** A separate admin connection, to inspect what the bus created. */
async function withJetStreamManager(fn: (jsm: JetStreamManager) => Promise<void>): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    await fn(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

eventBusContract('NatsEventBus', openNamespace);

describe('NatsEventBus specifics', () => {
  let teardown: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await teardown?.();
    teardown = undefined;
  });

  it('namespaces streams, subjects and consumers', async () => {
    const env = await openNamespace();
    teardown = env.teardown;
    const { bus, namespace } = env;
    expect(bus.eventsStream).toBe(`${namespace.toUpperCase()}_EVENTS`);
    expect(bus.deadLetterStream).toBe(`${namespace.toUpperCase()}_DLQ`);

    await bus.subscribe(Subjects.UsersUserDeleted, async () => {}, { durable: 'users', maxDeliver: 2, ackWaitMs: 1_000, backoffMs: 10 });
    await bus.publishRaw(Subjects.UsersUserDeleted, 'not json');

    await withJetStreamManager(async (jsm) => {
      const events = await jsm.streams.info(bus.eventsStream);
      expect(events.config.subjects).toContain(`${namespace}.users.>`);
      expect(events.config.subjects).toContain(`${namespace}.line.>`);
      expect(events.config.subjects).not.toContain(`${namespace}.cache.>`);
      expect(events.config.duplicate_window).toBe(120_000_000_000);

      const consumer = await jsm.consumers.info(bus.eventsStream, consumerNameFor('users', Subjects.UsersUserDeleted));
      expect(consumer.config).toMatchObject({ filter_subject: `${namespace}.users.user.deleted`, max_deliver: 3 });

      const dlqSubject = `${namespace}.${deadLetterSubject(Subjects.UsersUserDeleted)}`;
      let stored: { subject: string; data: string } | undefined;
      await waitFor(() => {
        void jsm.streams
          .getMessage(bus.deadLetterStream, { last_by_subj: dlqSubject })
          .then((m) => (stored = m ? { subject: m.subject, data: m.string() } : undefined))
          .catch(() => {});
        return stored !== undefined;
      });
      expect(stored!.subject).toBe(`${namespace}.dlq.users.user.deleted`);
      expect(JSON.parse(stored!.data)).toMatchObject({ subject: Subjects.UsersUserDeleted, data: 'not json' });
    });
  });

  it('updates an existing durable when its options change', async () => {
    const env = await openNamespace();
    teardown = env.teardown;
    const options = { durable: 'users', maxDeliver: 2, ackWaitMs: 1_000 };
    const first = await env.bus.subscribe(Subjects.UsersUserDeleted, async () => {}, options);
    await first.unsubscribe();
    const received: unknown[] = [];
    await env.peer.subscribe(Subjects.UsersUserDeleted, async (e) => void received.push(e), { ...options, maxDeliver: 7 });
    await env.bus.publish(Subjects.UsersUserDeleted, userDeleted());
    await waitFor(() => received.length === 1);
    await withJetStreamManager(async (jsm) => {
      const consumer = await jsm.consumers.info(env.bus.eventsStream, consumerNameFor('users', Subjects.UsersUserDeleted));
      expect(consumer.config.max_deliver).toBe(8);
    });
  });

  it('makes a serial durable one the server gives one message at a time (max_ack_pending 1)', async () => {
    const env = await openNamespace();
    teardown = env.teardown;
    await env.bus.subscribe(Subjects.UsersUserDeleted, async () => {}, { durable: 'ordered', serial: true });
    await env.bus.subscribe(Subjects.UsersUserDeleted, async () => {}, { durable: 'parallel' });
    await withJetStreamManager(async (jsm) => {
      expect(
        (await jsm.consumers.info(env.bus.eventsStream, consumerNameFor('ordered', Subjects.UsersUserDeleted))).config.max_ack_pending,
      ).toBe(1);
      expect(
        (await jsm.consumers.info(env.bus.eventsStream, consumerNameFor('parallel', Subjects.UsersUserDeleted))).config.max_ack_pending,
      ).toBe(1_000);
    });
  });

  it('updates existing streams at connect', async () => {
    const env = await openNamespace();
    teardown = env.teardown;
    const oneHourMs = 60 * 60_000;
    const reconfigured = await NatsEventBus.connect({ url, namespace: env.namespace, streamMaxAgeMs: oneHourMs });
    await reconfigured.close();
    await withJetStreamManager(async (jsm) => {
      const events = await jsm.streams.info(env.bus.eventsStream);
      expect(events.config.max_age).toBe(oneHourMs * 1_000_000);
    });
  });

  it('adds a new domain to a stream created before it existed', async () => {
    const namespace = randomNamespace();
    const stream = `${namespace.toUpperCase()}_EVENTS`;
    await withJetStreamManager(async (jsm) => {
      await jsm.streams.add({ name: stream, subjects: [`${namespace}.users.>`] });
    });
    const bus = await NatsEventBus.connect({ url, namespace });
    teardown = async () => {
      await bus.deleteNamespaceStreams();
      await bus.close();
    };
    await bus.publish(Subjects.LineWebhookReceived, {
      destination: 'Ubot',
      receivedAt: new Date().toISOString(),
      event: { type: 'follow', webhookEventId: '01TESTEVENT', timestamp: Date.now() },
    });
    await withJetStreamManager(async (jsm) => {
      const info = await jsm.streams.info(stream);
      expect(info.config.subjects).toContain(`${namespace}.line.>`);
      expect(info.state.messages).toBe(1);
    });
  });

  it('creates its streams and consumers with the chosen durability settings', async () => {
    const env = await openNamespace();
    teardown = env.teardown;
    await env.bus.subscribe(Subjects.UsersUserDeleted, async () => {}, { durable: 'users' });
    const day = 24 * 60 * 60 * 1e9;
    await withJetStreamManager(async (jsm) => {
      const events = (await jsm.streams.info(env.bus.eventsStream)).config;
      const dlq = (await jsm.streams.info(env.bus.deadLetterStream)).config;
      for (const config of [events, dlq]) {
        expect(config).toMatchObject({
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.New,
          num_replicas: 1,
          duplicate_window: 120_000_000_000,
          max_msgs: -1,
          max_bytes: -1,
        });
      }
      expect(events.max_age).toBe(7 * day);
      expect(dlq.max_age).toBe(14 * day);
      expect(dlq.subjects).toEqual([`${env.namespace}.dlq.>`]);

      const consumer = (await jsm.consumers.info(env.bus.eventsStream, consumerNameFor('users', Subjects.UsersUserDeleted))).config;
      expect(consumer).toMatchObject({ ack_policy: AckPolicy.Explicit, ack_wait: 30_000_000_000, max_deliver: 6 });
      // Inherits the stream's replicas (and follows them when the stream is scaled); never expires.
      expect(consumer.num_replicas ?? 0).toBe(0);
      expect(consumer.inactive_threshold ?? 0).toBe(0);
    });
  });

  it('moves existing streams to the chosen settings (discard, dead-letter age)', async () => {
    const namespace = randomNamespace();
    const prefix = namespace.toUpperCase();
    await withJetStreamManager(async (jsm) => {
      await jsm.streams.add({ name: `${prefix}_EVENTS`, subjects: [`${namespace}.users.>`], discard: DiscardPolicy.Old });
      await jsm.streams.add({ name: `${prefix}_DLQ`, subjects: [`${namespace}.dlq.>`], discard: DiscardPolicy.Old, max_age: 60 * 1e9 });
    });
    const bus = await NatsEventBus.connect({ url, namespace, deadLetterMaxAgeMs: 3 * 24 * 60 * 60_000 });
    teardown = async () => {
      await bus.deleteNamespaceStreams();
      await bus.close();
    };
    await withJetStreamManager(async (jsm) => {
      expect((await jsm.streams.info(bus.eventsStream)).config.discard).toBe(DiscardPolicy.New);
      const dlq = (await jsm.streams.info(bus.deadLetterStream)).config;
      expect(dlq).toMatchObject({ discard: DiscardPolicy.New, max_age: 3 * 24 * 60 * 60 * 1e9 });
    });
  });

  it('refuses a replica count JetStream cannot have, before connecting', async () => {
    for (const replicas of [0, 6, 1.5, Number.NaN]) {
      await expect(NatsEventBus.connect({ url: '127.0.0.1:1', namespace: randomNamespace(), replicas })).rejects.toBeInstanceOf(
        EventBusConfigError,
      );
    }
  });

  it('refuses more replicas than a single server holds, for new and for existing streams', async () => {
    const namespace = randomNamespace();
    const fresh = NatsEventBus.connect({ url, namespace, replicas: 3 });
    await expect(fresh).rejects.toBeInstanceOf(EventBusConfigError);
    await expect(fresh).rejects.toThrow(/NATS_STREAM_REPLICAS=3 needs a JetStream cluster/);

    const env = await openNamespace();
    teardown = env.teardown;
    // The server would accept this update and quietly keep one copy: the bus says so instead.
    await expect(NatsEventBus.connect({ url, namespace: env.namespace, replicas: 3 })).rejects.toThrow(/NATS_STREAM_REPLICAS=3/);
    await withJetStreamManager(async (jsm) => {
      await jsm.streams.delete(`${namespace.toUpperCase()}_EVENTS`).catch(() => {});
    });
  });

  it('rejects publishing to a subject no stream captures', async () => {
    const env = await openNamespace();
    teardown = env.teardown;
    await expect(env.bus.publishRaw('nowhere.thing.happened', '{}')).rejects.toMatchObject({ code: 'EVENT_PUBLISH_FAILED' });
  });
});
