/**
 * Replicas against a real three-node JetStream cluster (private nats-server processes on free
 * loopback ports): streams get the asked number of copies, consumers follow their stream, and a
 * deployment that moves from one copy to three gets its existing streams scaled at connect.
 */
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerNameFor, NatsEventBus, Subjects } from '../src/index.js';
import { eventually, userDeleted } from './helpers.js';
import { startNatsCluster } from './nats-servers.js';

describe('NatsEventBus on a three-node JetStream cluster', () => {
  let cluster: Awaited<ReturnType<typeof startNatsCluster>>;
  beforeAll(async () => {
    cluster = await startNatsCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  async function streamReplicas(stream: string) {
    const nc = await connect({ servers: cluster.urls });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(stream);
      return { configured: info.config.num_replicas, copies: 1 + (info.cluster?.replicas?.length ?? 0) };
    } finally {
      await nc.close();
    }
  }

  it('keeps three copies of each stream with replicas 3, and consumers follow their stream', async () => {
    const namespace = `t${randomBytes(5).toString('hex')}`;
    const bus = await NatsEventBus.connect({ url: cluster.urls, namespace, replicas: 3 });
    try {
      const received: string[] = [];
      await bus.subscribe(Subjects.UsersUserDeleted, async (e) => void received.push(e.id), { durable: 'users' });
      await bus.publish(Subjects.UsersUserDeleted, userDeleted(), { msgId: 'one' });
      await eventually(
        async () => received,
        (r) => r.length === 1,
        { what: 'delivery on the cluster' },
      );

      for (const stream of [bus.eventsStream, bus.deadLetterStream]) {
        expect(
          await eventually(
            () => streamReplicas(stream),
            (r) => r.copies === 3,
            { timeoutMs: 10_000, what: `${stream} copies` },
          ),
        ).toEqual({ configured: 3, copies: 3 });
      }
      const nc = await connect({ servers: cluster.urls });
      try {
        const consumer = await (await jetstreamManager(nc)).consumers.info(
          bus.eventsStream,
          consumerNameFor('users', Subjects.UsersUserDeleted),
        );
        expect(consumer.config.num_replicas ?? 0).toBe(0);
        expect(1 + (consumer.cluster?.replicas?.length ?? 0)).toBe(3);
      } finally {
        await nc.close();
      }
    } finally {
      await bus.deleteNamespaceStreams();
      await bus.close();
    }
  });

  it('scales existing one-copy streams to the asked replicas at connect', async () => {
    const namespace = `t${randomBytes(5).toString('hex')}`;
    const single = await NatsEventBus.connect({ url: cluster.urls, namespace });
    await single.publish(Subjects.UsersUserDeleted, userDeleted());
    await single.close();
    expect(await streamReplicas(`${namespace.toUpperCase()}_EVENTS`)).toEqual({ configured: 1, copies: 1 });

    const replicated = await NatsEventBus.connect({ url: cluster.urls, namespace, replicas: 3 });
    try {
      for (const stream of [replicated.eventsStream, replicated.deadLetterStream]) {
        await eventually(
          () => streamReplicas(stream),
          (r) => r.configured === 3 && r.copies === 3,
          { timeoutMs: 10_000, what: `${stream} scaled to 3` },
        );
      }
      await expect(replicated.deadLetterStats()).resolves.toEqual({ stored: 0, storedBySubject: {} });
    } finally {
      await replicated.deleteNamespaceStreams();
      await replicated.close();
    }
  });
});
