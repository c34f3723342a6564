/**
 * A throwaway redis-server of a test's own (a tiny maxmemory, a password...) on a free port,
 * stopped by the test. Needs `redis-server` on PATH, as .ci/run installs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts `redis-server` with `args` added (e.g. `['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction']`). */
export async function startRedis(args: string[] = [], password?: string): Promise<TestRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...(password ? ['--requirepass', password] : []),
      ...args,
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://${password ? `:${password}@` : ''}127.0.0.1:${port}`;
  // Never outlive the test process, even when a hook times out before stop() runs.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { url, port, stop };
    } catch (err) {
      probe.disconnect();
      if (Date.now() > deadline || child.exitCode !== null) {
        await stop();
        throw new Error(`redis-server on ${port} did not start: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
