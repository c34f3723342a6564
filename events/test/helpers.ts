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

/** For negative assertions: give stray deliveries a chance to show up. */
export function settle(ms = 200): Promise<void> {
  return sleep(ms);
}

export function userDeleted() {
  return { userId: randomUUID(), requestedAt: new Date().toISOString() };
}
