/**
 * The platform under soak, in a process of its own (started by bench/soak.ts with --expose-gc and
 * an IPC channel): every service as `npm start` runs them (scripts/platform.ts), so what is
 * measured is the platform's memory, descriptors and connections, never the load generator's.
 *
 * IPC: sends `{ type: 'ready', urls, gatewayUrl, pid }` once listening. Answers
 * `{ type: 'sample', id }` with the memory after two full garbage collections and the libuv
 * resources still active (by type), and `{ type: 'stop' }` by closing every service and exiting.
 */
import { FREE_PORTS, startPlatform } from '../../scripts/platform.js';

type Request = { type: 'sample'; id: number } | { type: 'stop' };

const send = (message: unknown) => process.send?.(message);

const gc = (globalThis as { gc?: (options?: unknown) => void }).gc;
const collect = async () => {
  if (!gc) return false;
  // Two passes with a turn of the event loop between: finalizers and weak callbacks of the first
  // (sockets' native handles, WeakMap entries) let the second reclaim what they held. The second
  // is V8's "last resort" collection (what it runs before giving up on memory): it also hands the
  // pages it keeps for reuse back to the system, without which RSS stays at the load's high-water
  // mark (a plain gc() leaves hundreds of MB resident that heapTotal no longer counts).
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
};

const platform = await startPlatform({ env: process.env, ports: FREE_PORTS, dataDir: null });
let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
    await platform.close().catch((err) => console.error('soak runner: error while stopping', err));
    process.exit(0);
  })());

process.on('message', async (raw) => {
  const message = raw as Request;
  if (message.type === 'stop') return void stop();
  if (message.type === 'sample') {
    const t0 = performance.now();
    const collected = await collect();
    const gcMs = performance.now() - t0;
    const resources: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
    send({ type: 'sample', id: message.id, collected, gcMs, memory: process.memoryUsage(), resources });
  }
});
// The soak going away (killed, crashed) must not leave the platform running.
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

send({ type: 'ready', gatewayUrl: platform.gatewayUrl, urls: platform.urls, pid: process.pid });
