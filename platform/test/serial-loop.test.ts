import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { SerialLoop } from '../src/serial-loop.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SerialLoop', () => {
  it("runs every round in the context it was started in, not in the nudging request's", async () => {
    const scope = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const loop = new SerialLoop({
      round: async () => {
        seen.push(scope.getStore());
      },
      intervalMs: 5,
      onError: () => {},
    });
    scope.run('service', () => loop.start());
    await sleep(20);
    // A nudge from inside a request, when idle: the round it asks for, and the timed ones after it.
    await scope.run('request-1', async () => {
      loop.nudge();
      await sleep(30);
    });
    await loop.stop();
    expect(seen.length).toBeGreaterThan(3);
    expect(new Set(seen)).toEqual(new Set(['service']));
  });

  it('runs a round at start, then one per interval, never two at once', async () => {
    let active = 0;
    let maxActive = 0;
    let rounds = 0;
    const loop = new SerialLoop({
      round: async () => {
        maxActive = Math.max(maxActive, ++active);
        rounds++;
        await sleep(15);
        active--;
      },
      intervalMs: 5,
      onError: () => {},
    });
    loop.start();
    for (let i = 0; i < 10; i++) {
      loop.nudge();
      await sleep(5);
    }
    await loop.stop();
    expect(rounds).toBeGreaterThan(1);
    expect(maxActive).toBe(1);
  });

  it('a nudge during a round asks for another one right after it', async () => {
    const started: number[] = [];
    let loop!: SerialLoop;
    loop = new SerialLoop({
      round: async () => {
        started.push(Date.now());
        if (started.length === 1) loop.nudge();
        await sleep(10);
      },
      intervalMs: 60_000,
      onError: () => {},
    });
    loop.start();
    await sleep(200);
    await loop.stop();
    expect(started).toHaveLength(2);
  });

  it('reports a failing round and carries on; stop waits for the running round and cancels the next', async () => {
    const errors: unknown[] = [];
    let rounds = 0;
    let finished = false;
    const loop = new SerialLoop({
      round: async () => {
        rounds++;
        if (rounds === 1) throw new Error('boom');
        await sleep(30);
        finished = true;
      },
      intervalMs: 1,
      onError: (err) => errors.push(err),
    });
    loop.start();
    while (rounds < 2) await sleep(1);
    await loop.stop();
    expect(finished).toBe(true);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
    const after = rounds;
    await sleep(20);
    expect(rounds).toBe(after);
  });
});
