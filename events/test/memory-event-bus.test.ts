import { describe, expect, it } from 'vitest';
import { MemoryEventBus, Subjects } from '../src/index.js';
import { eventBusContract } from './event-bus.contract.js';

eventBusContract('MemoryEventBus', async () => {
  // In-process "replicas" share one bus, as services do in embedded mode.
  const bus = new MemoryEventBus();
  return { bus, peer: bus, teardown: () => bus.close() };
});

describe('MemoryEventBus specifics', () => {
  it('a confirmed broadcast resolves only once every listener has handled it', async () => {
    const bus = new MemoryEventBus();
    try {
      const handled: string[] = [];
      await bus.onBroadcast(Subjects.SecurityRevocationAdded, async (e) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        handled.push(e.data.id);
      });
      await bus.broadcast(
        Subjects.SecurityRevocationAdded,
        { kind: 'session', id: 's-1', revokedAt: 1, ttlSeconds: 60, revision: null },
        {
          confirm: true,
        },
      );
      expect(handled).toEqual(['s-1']);
    } finally {
      await bus.close();
    }
  });
});
