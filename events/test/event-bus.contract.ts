import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DeadLetter,
  DeadLetterNotFoundError,
  DeadLetterNotReplayableError,
  type EventBus,
  EventBusClosedError,
  type EventEnvelope,
  InvalidEventError,
  Subjects,
  type SubscribeOptions,
} from '../src/index.js';
import { eventually, settle, userDeleted, waitFor } from './helpers.js';

export interface BusEnvironment {
  bus: EventBus;
  /** Another replica of the same service: shares durables and broadcasts with `bus`. */
  peer: EventBus;
  teardown(): Promise<void>;
}

const fast = { ackWaitMs: 2_000, backoffMs: 20, maxDeliver: 3 } satisfies Omit<SubscribeOptions, 'durable'>;

type Deleted = EventEnvelope<typeof Subjects.UsersUserDeleted>;

/** The behaviour every EventBus implementation must share; run once per implementation. */
export function eventBusContract(name: string, createEnvironment: () => Promise<BusEnvironment>): void {
  describe(`${name}: EventBus contract`, () => {
    let env: BusEnvironment;
    let bus: EventBus;

    beforeEach(async () => {
      env = await createEnvironment();
      bus = env.bus;
    });
    afterEach(async () => {
      await env.teardown();
    });

    function collectDeadLetters(): Promise<DeadLetter[]> {
      const deadLetters: DeadLetter[] = [];
      return bus.subscribeDeadLetters((dl) => void deadLetters.push(dl)).then(() => deadLetters);
    }

    it('delivers a published event with its typed payload', async () => {
      const received: Deleted[] = [];
      await bus.subscribe(Subjects.UsersUserDeleted, async (event) => void received.push(event), { durable: 'users', ...fast });

      const payload = userDeleted();
      await bus.publish(Subjects.UsersUserDeleted, payload);

      await waitFor(() => received.length === 1);
      const [event] = received;
      expect(event!.subject).toBe(Subjects.UsersUserDeleted);
      expect(event!.data).toEqual(payload);
      expect(event!.id).toEqual(expect.any(String));
      expect(Number.isNaN(Date.parse(event!.occurredAt))).toBe(false);
    });

    it('rejects an invalid payload at publish and sends nothing', async () => {
      const received: Deleted[] = [];
      await bus.subscribe(Subjects.UsersUserDeleted, async (event) => void received.push(event), { durable: 'users', ...fast });

      // @ts-expect-error requestedAt is required by the users.user.deleted schema
      await expect(bus.publish(Subjects.UsersUserDeleted, { userId: randomUUID() })).rejects.toBeInstanceOf(InvalidEventError);
      const notUuid = bus.publish(Subjects.UsersUserDeleted, { userId: 'not-a-uuid', requestedAt: new Date().toISOString() });
      await expect(notUuid).rejects.toMatchObject({ name: 'InvalidEventError', code: 'EVENT_INVALID' });

      const sentinel = userDeleted();
      await bus.publish(Subjects.UsersUserDeleted, sentinel);
      await waitFor(() => received.length === 1);
      expect(received[0]!.data).toEqual(sentinel);
    });

    it('gives every durable its own copy of each event', async () => {
      const audit: Deleted[] = [];
      const erasure: Deleted[] = [];
      await bus.subscribe(Subjects.UsersUserDeleted, async (e) => void audit.push(e), { durable: 'audit', ...fast });
      await env.peer.subscribe(Subjects.UsersUserDeleted, async (e) => void erasure.push(e), { durable: 'erasure', ...fast });

      await bus.publish(Subjects.UsersUserDeleted, userDeleted());

      await waitFor(() => audit.length === 1 && erasure.length === 1);
      expect(audit[0]!.id).toBe(erasure[0]!.id);
    });

    it('delivers each event once across subscribers sharing a durable', async () => {
      const byReplica = { bus: [] as string[], peer: [] as string[] };
      const options = { durable: 'workers', ...fast };
      await bus.subscribe(Subjects.UsersUserDeleted, async (e) => void byReplica.bus.push(e.id), options);
      await env.peer.subscribe(Subjects.UsersUserDeleted, async (e) => void byReplica.peer.push(e.id), options);

      const published = Array.from({ length: 10 }, () => randomUUID());
      for (const msgId of published) await bus.publish(Subjects.UsersUserDeleted, userDeleted(), { msgId });

      const all = () => [...byReplica.bus, ...byReplica.peer];
      await waitFor(() => all().length >= published.length);
      await settle();
      expect(all().sort()).toEqual([...published].sort());
    });

    it('delivers the same msgId published twice only once', async () => {
      const received: Deleted[] = [];
      await bus.subscribe(Subjects.UsersUserDeleted, async (e) => void received.push(e), { durable: 'users', ...fast });

      const msgId = randomUUID();
      await bus.publish(Subjects.UsersUserDeleted, userDeleted(), { msgId });
      await bus.publish(Subjects.UsersUserDeleted, userDeleted(), { msgId });
      const sentinel = randomUUID();
      await bus.publish(Subjects.UsersUserDeleted, userDeleted(), { msgId: sentinel });

      await waitFor(() => received.some((e) => e.id === sentinel));
      expect(received.map((e) => e.id)).toEqual([msgId, sentinel]);
    });

    it('dead-letters malformed messages and keeps consuming', async () => {
      const deadLetters = await collectDeadLetters();
      const received: Deleted[] = [];
      await bus.subscribe(Subjects.UsersUserDeleted, async (e) => void received.push(e), { durable: 'users', ...fast });

      const badJson = '{"id": "oops", not json';
      const badPayload = JSON.stringify({
        id: randomUUID(),
        subject: Subjects.UsersUserDeleted,
        occurredAt: new Date().toISOString(),
        data: { userId: 'not-a-uuid' },
      });
      await bus.publishRaw(Subjects.UsersUserDeleted, new TextEncoder().encode(badJson));
      await bus.publishRaw(Subjects.UsersUserDeleted, badPayload);
      const good = userDeleted();
      await bus.publish(Subjects.UsersUserDeleted, good);

      await waitFor(() => received.length === 1 && deadLetters.length === 2, { what: 'good event and two dead letters' });
      expect(received[0]!.data).toEqual(good);
      const byData = new Map(deadLetters.map((dl) => [dl.data, dl]));
      expect(byData.get(badJson)).toMatchObject({
        subject: Subjects.UsersUserDeleted,
        consumer: 'users',
        deliveries: 1,
        error: expect.stringContaining('malformed JSON'),
      });
      expect(byData.get(badPayload)).toMatchObject({
        subject: Subjects.UsersUserDeleted,
        consumer: 'users',
        deliveries: 1,
        error: expect.stringMatching(/invalid envelope[\s\S]*userId/),
      });
    });

    it('retries a failing handler until it succeeds', async () => {
      const deadLetters = await collectDeadLetters();
      let attempts = 0;
      const handled: Deleted[] = [];
      await bus.subscribe(
        Subjects.UsersUserDeleted,
        async (e) => {
          attempts++;
          if (attempts < 3) throw new Error(`transient failure ${attempts}`);
          handled.push(e);
        },
        { durable: 'flaky', ...fast, maxDeliver: 5 },
      );

      await bus.publish(Subjects.UsersUserDeleted, userDeleted());

      await waitFor(() => handled.length === 1);
      await settle();
      expect(attempts).toBe(3);
      expect(deadLetters).toEqual([]);
    });

    it('dead-letters an event whose handler always fails, after maxDeliver attempts', async () => {
      const deadLetters = await collectDeadLetters();
      let attempts = 0;
      await bus.subscribe(
        Subjects.UsersUserDeleted,
        async () => {
          attempts++;
          throw new Error('boom');
        },
        { durable: 'broken', ...fast, maxDeliver: 3 },
      );

      const payload = userDeleted();
      await bus.publish(Subjects.UsersUserDeleted, payload);

      await waitFor(() => deadLetters.length === 1, { what: 'dead letter' });
      await settle();
      expect(attempts).toBe(3);
      expect(deadLetters).toHaveLength(1);
      expect(deadLetters[0]).toMatchObject({
        subject: Subjects.UsersUserDeleted,
        consumer: 'broken',
        deliveries: 3,
        error: expect.stringContaining('boom'),
      });
      expect(JSON.parse(deadLetters[0]!.data).data).toEqual(payload);
    });

    it('broadcasts to every onBroadcast subscriber, on every replica', async () => {
      const seen: string[] = [];
      const subject = Subjects.CacheProfileInvalidated;
      await bus.onBroadcast(subject, async (e) => void seen.push(`bus-1:${e.data.userId}`));
      await bus.onBroadcast(subject, async (e) => void seen.push(`bus-2:${e.data.userId}`));
      await env.peer.onBroadcast(subject, async (e) => void seen.push(`peer:${e.data.userId}`));
      const keys: string[][] = [];
      await env.peer.onBroadcast(Subjects.CacheKeyInvalidated, async (e) => void keys.push(e.data.keys));

      const userId = randomUUID();
      await bus.broadcast(subject, { userId });
      await bus.broadcast(Subjects.CacheKeyInvalidated, { keys: ['profile:1', 'profile:2'] });
      await expect(bus.broadcast(subject, { userId: 'nope' })).rejects.toBeInstanceOf(InvalidEventError);

      await waitFor(() => seen.length === 3 && keys.length === 1);
      expect(seen.sort()).toEqual([`bus-1:${userId}`, `bus-2:${userId}`, `peer:${userId}`]);
      expect(keys).toEqual([['profile:1', 'profile:2']]);
    });

    it('a confirmed broadcast reaches every subscriber, on every replica', async () => {
      const seen: string[] = [];
      const subject = Subjects.SecurityRevocationAdded;
      await bus.onBroadcast(subject, async (e) => void seen.push(`bus:${e.data.id}`));
      await env.peer.onBroadcast(subject, async (e) => void seen.push(`peer:${e.data.id}`));

      const id = randomUUID();
      await bus.broadcast(subject, { kind: 'token', id, revokedAt: 1, ttlSeconds: 60, revision: 7 }, { confirm: true });
      await expect(
        bus.broadcast(subject, { kind: 'nothing', id, revokedAt: 1, ttlSeconds: 60, revision: 7 } as never, { confirm: true }),
      ).rejects.toBeInstanceOf(InvalidEventError);

      await waitFor(() => seen.length === 2);
      expect(seen.sort()).toEqual([`bus:${id}`, `peer:${id}`]);
    });

    it('is connected while open, and tells its connection listeners when it closes', async () => {
      const heard: boolean[] = [];
      const stopped: boolean[] = [];
      bus.onConnectionChange((connected) => heard.push(connected));
      const stop = bus.onConnectionChange((connected) => stopped.push(connected));
      expect(bus.isConnected()).toBe(true);
      stop();

      await bus.close();
      expect(bus.isConnected()).toBe(false);
      expect(heard).toEqual([false]);
      expect(stopped).toEqual([]);
    });

    it('stops delivering after unsubscribe', async () => {
      const stopped: Deleted[] = [];
      const control: Deleted[] = [];
      const broadcasts: string[] = [];
      const sub = await bus.subscribe(Subjects.UsersUserDeleted, async (e) => void stopped.push(e), { durable: 'stopped', ...fast });
      await bus.subscribe(Subjects.UsersUserDeleted, async (e) => void control.push(e), { durable: 'control', ...fast });
      const broadcastSub = await bus.onBroadcast(Subjects.CacheProfileInvalidated, async (e) => void broadcasts.push(e.id));

      await bus.publish(Subjects.UsersUserDeleted, userDeleted());
      await waitFor(() => stopped.length === 1 && control.length === 1);

      await sub.unsubscribe();
      await sub.unsubscribe();
      await broadcastSub.unsubscribe();
      await bus.publish(Subjects.UsersUserDeleted, userDeleted());
      await bus.broadcast(Subjects.CacheProfileInvalidated, { userId: randomUUID() });

      await waitFor(() => control.length === 2);
      await settle();
      expect(stopped).toHaveLength(1);
      expect(broadcasts).toHaveLength(0);
    });

    it('keeps events for a durable while it has no subscriber', async () => {
      const first: Deleted[] = [];
      const sub = await bus.subscribe(Subjects.UsersUserDeleted, async (e) => void first.push(e), { durable: 'offline', ...fast });
      await sub.unsubscribe();

      const payload = userDeleted();
      await bus.publish(Subjects.UsersUserDeleted, payload);

      const resumed: Deleted[] = [];
      await env.peer.subscribe(Subjects.UsersUserDeleted, async (e) => void resumed.push(e), { durable: 'offline', ...fast });
      await waitFor(() => resumed.length === 1);
      expect(resumed[0]!.data).toEqual(payload);
      expect(first).toHaveLength(0);
    });

    it('starts a new durable at the next message, or at the stored ones with startAt stored', async () => {
      const before = userDeleted();
      await bus.publish(Subjects.UsersUserDeleted, before);
      const fromNew: Deleted[] = [];
      const fromStored: Deleted[] = [];
      await bus.subscribe(Subjects.UsersUserDeleted, async (e) => void fromNew.push(e), { durable: 'late-new', ...fast });
      await env.peer.subscribe(Subjects.UsersUserDeleted, async (e) => void fromStored.push(e), {
        durable: 'late-stored',
        startAt: 'stored',
        ...fast,
      });
      const after = userDeleted();
      await bus.publish(Subjects.UsersUserDeleted, after);

      await waitFor(() => fromNew.length >= 1 && fromStored.length >= 2);
      await settle();
      expect(fromNew.map((e) => e.data)).toEqual([after]);
      expect(fromStored.map((e) => e.data)).toEqual([before, after]);
    });

    it('serial: one message at a time across replicas, in publish order', async () => {
      const order: string[] = [];
      let running = 0;
      let maxRunning = 0;
      const handler = async (e: Deleted) => {
        maxRunning = Math.max(maxRunning, ++running);
        await settle(15);
        order.push(e.id);
        running--;
      };
      const options = { durable: 'ordered', serial: true, ...fast };
      await bus.subscribe(Subjects.UsersUserDeleted, handler, options);
      await env.peer.subscribe(Subjects.UsersUserDeleted, handler, options);

      const published = Array.from({ length: 8 }, () => randomUUID());
      for (const msgId of published) await bus.publish(Subjects.UsersUserDeleted, userDeleted(), { msgId });

      await waitFor(() => order.length === published.length, { what: 'every serial delivery' });
      expect(order).toEqual(published);
      expect(maxRunning).toBe(1);
    });

    it('serial: a failing message holds back the ones behind it until it succeeds', async () => {
      const attempts: string[] = [];
      const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
      let failed = false;
      await bus.subscribe(
        Subjects.UsersUserDeleted,
        async (e) => {
          attempts.push(e.id);
          if (e.id === first && !failed) {
            failed = true;
            throw new Error('transient failure');
          }
        },
        { durable: 'ordered-retry', serial: true, ...fast, backoffMs: 100 },
      );

      for (const msgId of [first, second, third]) await bus.publish(Subjects.UsersUserDeleted, userDeleted(), { msgId });

      await waitFor(() => attempts.length === 4, { what: 'retry and the two held-back events' });
      await settle();
      expect(attempts).toEqual([first, first, second, third]);
    });

    it('counts stored dead letters by subject, and what this instance dead-lettered', async () => {
      await expect(bus.deadLetterStats()).resolves.toEqual({ stored: 0, storedBySubject: {} });
      expect(bus.deadLetteredCounts()).toEqual([]);
      await bus.subscribe(Subjects.UsersUserDeleted, async () => {}, { durable: 'users', ...fast });
      await bus.subscribe(Subjects.UsersUserErased, async () => {}, { durable: 'users', ...fast });

      await bus.publishRaw(Subjects.UsersUserDeleted, 'not json 1');
      await bus.publishRaw(Subjects.UsersUserDeleted, 'not json 2');
      await bus.publishRaw(Subjects.UsersUserErased, 'not json 3');

      const stats = await eventually(
        () => bus.deadLetterStats(),
        (s) => s.stored === 3,
        { what: 'three stored dead letters' },
      );
      expect(stats.storedBySubject).toEqual({ [Subjects.UsersUserDeleted]: 2, [Subjects.UsersUserErased]: 1 });
      // Counted once the dead letter's store is acknowledged, which may reach this instance just
      // after the stats that already include it.
      const counted = await eventually(
        async () => bus.deadLetteredCounts().sort((a, b) => a.subject.localeCompare(b.subject)),
        (counts) => counts.reduce((sum, c) => sum + c.count, 0) >= 3,
        { what: 'three dead letters counted by this instance' },
      );
      expect(counted).toEqual([
        { subject: Subjects.UsersUserDeleted, consumer: 'users', count: 2 },
        { subject: Subjects.UsersUserErased, consumer: 'users', count: 1 },
      ]);
    });

    it('lists stored dead letters with their sequence, by subject and up to a limit', async () => {
      await bus.subscribe(Subjects.UsersUserDeleted, async () => {}, { durable: 'users', ...fast });
      await bus.subscribe(Subjects.UsersUserErased, async () => {}, { durable: 'erasure', ...fast });
      await bus.publishRaw(Subjects.UsersUserDeleted, 'first');
      await eventually(
        () => bus.listDeadLetters(),
        (l) => l.length === 1,
        { what: 'first dead letter' },
      );
      await bus.publishRaw(Subjects.UsersUserErased, 'second');
      await eventually(
        () => bus.listDeadLetters(),
        (l) => l.length === 2,
        { what: 'second dead letter' },
      );
      await bus.publishRaw(Subjects.UsersUserDeleted, 'third');
      const all = await eventually(
        () => bus.listDeadLetters(),
        (l) => l.length === 3,
        { what: 'third dead letter' },
      );

      expect(all.map((d) => d.data)).toEqual(['first', 'second', 'third']);
      expect(all[0]).toMatchObject({
        subject: Subjects.UsersUserDeleted,
        consumer: 'users',
        deliveries: 1,
        error: expect.stringContaining('malformed JSON'),
        seq: expect.any(Number),
      });
      expect(Number.isNaN(Date.parse(all[0]!.storedAt))).toBe(false);
      expect(Number.isNaN(Date.parse(all[0]!.failedAt))).toBe(false);
      const seqs = all.map((d) => d.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(3);

      const deleted = await bus.listDeadLetters({ subject: Subjects.UsersUserDeleted });
      expect(deleted.map((d) => d.data)).toEqual(['first', 'third']);
      expect((await bus.listDeadLetters({ limit: 2 })).map((d) => d.data)).toEqual(['first', 'second']);
      expect(await bus.listDeadLetters({ subject: Subjects.AuthUserLoggedIn })).toEqual([]);
      // Another replica sees the same store.
      expect((await env.peer.listDeadLetters()).map((d) => d.seq)).toEqual(seqs);
    });

    it('replays a dead letter to its subject once the cause is fixed, and removes it from the store', async () => {
      let fixed = false;
      const handled: Deleted[] = [];
      const other: Deleted[] = [];
      await bus.subscribe(
        Subjects.UsersUserDeleted,
        async (e) => {
          if (!fixed) throw new Error('downstream is broken');
          handled.push(e);
        },
        { durable: 'broken', ...fast, maxDeliver: 2 },
      );
      await bus.subscribe(Subjects.UsersUserDeleted, async (e) => void other.push(e), { durable: 'healthy', ...fast });
      const payload = userDeleted();
      const eventId = randomUUID();
      await bus.publish(Subjects.UsersUserDeleted, payload, { msgId: eventId });

      const [deadLetter] = await eventually(
        () => bus.listDeadLetters(),
        (l) => l.length === 1,
        { what: 'dead letter' },
      );
      expect(deadLetter).toMatchObject({
        subject: Subjects.UsersUserDeleted,
        consumer: 'broken',
        deliveries: 2,
        error: expect.stringContaining('downstream is broken'),
      });
      expect(other).toHaveLength(1);

      fixed = true;
      // From another replica: replay is an operator's act, not tied to the instance that dead-lettered.
      const replayed = await env.peer.replayDeadLetter(deadLetter!.seq);
      expect(replayed).toEqual({ seq: deadLetter!.seq, subject: Subjects.UsersUserDeleted, eventId, msgId: expect.any(String) });
      expect(replayed.msgId).not.toBe(eventId);

      await waitFor(() => handled.length === 1 && other.length === 2, { what: 'the replayed event at every durable' });
      // The original message, verbatim: same event id, same payload (idempotent handlers recognise it).
      expect(handled[0]).toMatchObject({ id: eventId, data: payload });
      expect(other[1]!.id).toBe(eventId);
      await expect(bus.listDeadLetters()).resolves.toEqual([]);
      await expect(bus.deadLetterStats()).resolves.toEqual({ stored: 0, storedBySubject: {} });
      await expect(bus.replayDeadLetter(deadLetter!.seq)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
      await settle();
      expect(handled).toHaveLength(1);
    });

    it('refuses to replay what would only be dead-lettered again, and discards it on request', async () => {
      await bus.subscribe(Subjects.UsersUserDeleted, async () => {}, { durable: 'users', ...fast });
      await bus.publishRaw(Subjects.UsersUserDeleted, '{"not": "an envelope"}');
      const [deadLetter] = await eventually(
        () => bus.listDeadLetters(),
        (l) => l.length === 1,
        { what: 'dead letter' },
      );

      const refused = bus.replayDeadLetter(deadLetter!.seq);
      await expect(refused).rejects.toBeInstanceOf(DeadLetterNotReplayableError);
      await expect(refused).rejects.toMatchObject({ code: 'DEAD_LETTER_NOT_REPLAYABLE', seq: deadLetter!.seq });
      expect(await bus.listDeadLetters()).toHaveLength(1);

      await bus.discardDeadLetter(deadLetter!.seq);
      await expect(bus.listDeadLetters()).resolves.toEqual([]);
      await expect(bus.discardDeadLetter(deadLetter!.seq)).rejects.toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND' });
      await expect(bus.replayDeadLetter(123_456)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
      await expect(bus.replayDeadLetter(0)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    });

    it('reports health and closes idempotently', async () => {
      await expect(bus.health()).resolves.toEqual({ ok: true });
      await bus.subscribe(Subjects.UsersUserDeleted, async () => {}, { durable: 'users', ...fast });
      await bus.onBroadcast(Subjects.CacheKeyInvalidated, async () => {});

      await Promise.all([bus.close(), bus.close()]);
      await bus.close();

      await expect(bus.health()).resolves.toMatchObject({ ok: false });
      await expect(bus.publish(Subjects.UsersUserDeleted, userDeleted())).rejects.toBeInstanceOf(EventBusClosedError);
    });
  });
}
