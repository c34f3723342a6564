import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `check` returns true (or a truthy value), failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, { timeoutMs = 5_000, what = 'condition' } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Polls an async `read` until `check` accepts its result (returned), failing after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  { timeoutMs = 5_000, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

/** For negative assertions: give stray deliveries a chance to show up. */
export function settle(ms = 200): Promise<void> {
  return sleep(ms);
}

export function userDeleted() {
  return { userId: randomUUID(), requestedAt: new Date().toISOString() };
}
