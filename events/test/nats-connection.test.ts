/**
 * NatsEventBus.onConnectionChange against a server of its own that is stopped and started again:
 * holders of broadcast-fed state (the revocation list) rely on hearing both the drop and the
 * return, and on their subscriptions working again once the return is reported.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../tests/support/ports.js';
import { NatsEventBus, Subjects } from '../src/index.js';
import { waitFor } from './helpers.js';
import { type NatsServerProcess, startNatsServer } from './nats-servers.js';

describe('NatsEventBus connection status', () => {
  it('reports the server going and coming back; a subscription made before the drop hears broadcasts again', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    let server: NatsServerProcess = await startNatsServer(port);
    const bus = await NatsEventBus.connect({ url: server.url, namespace: `t${randomBytes(5).toString('hex')}` });
    try {
      const heard: boolean[] = [];
      bus.onConnectionChange((connected) => heard.push(connected));
      const seen: string[] = [];
      await bus.onBroadcast(Subjects.SecurityRevocationAdded, async (e) => void seen.push(e.data.id));
      expect(bus.isConnected()).toBe(true);

      await server.stop();
      await waitFor(() => heard.length === 1, { timeoutMs: 10_000, what: 'the drop' });
      expect(heard).toEqual([false]);
      expect(bus.isConnected()).toBe(false);

      server = await startNatsServer(port);
      await waitFor(() => heard.length === 2, { timeoutMs: 20_000, what: 'the return' });
      expect(heard).toEqual([false, true]);
      expect(bus.isConnected()).toBe(true);

      await bus.broadcast(
        Subjects.SecurityRevocationAdded,
        { kind: 'user', id: 'u-1', revokedAt: 1, ttlSeconds: 60, revision: 1 },
        { confirm: true },
      );
      await waitFor(() => seen.length === 1, { what: 'the broadcast after the return' });
      expect(seen).toEqual(['u-1']);
    } finally {
      await bus.close();
      await server.stop();
    }
  });
});
