/**
 * Private nats-server processes for tests that need a server of their own (a JetStream cluster,
 * a server to stop): each on free ports with its own store directory, stopped by its own pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../../tests/support/ports.js';

export interface NatsServerProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server` with JetStream and `args`, resolving once it accepts connections. Its store
 * is a new directory removed at stop, or `storeDir` (kept: a restart on it finds its streams again).
 */
export async function startNatsServer(port: number, args: string[] = [], options: { storeDir?: string } = {}): Promise<NatsServerProcess> {
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'nats-test-'));
  const child: ChildProcess = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk) => (log = (log + chunk).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `nats://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!options.storeDir) rmSync(storeDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited: ${log}`);
    try {
      const nc = await connect({ servers: url, reconnect: false, timeout: 500 });
      await nc.close();
      return { url, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`nats-server on ${port} did not start: ${log}`);
      }
      await sleep(100);
    }
  }
}

/** A three-node JetStream cluster on loopback; resolves once JetStream answers (a meta leader is elected). */
export async function startNatsCluster(): Promise<{ urls: string[]; stop(): Promise<void> }> {
  const ports = await Promise.all([0, 1, 2].map(async () => ({ client: await freePort(), cluster: await freePort() })));
  const routes = ports.map((p) => `nats://127.0.0.1:${p.cluster}`).join(',');
  const servers = await Promise.all(
    ports.map((p, i) =>
      startNatsServer(p.client, [
        '--server_name',
        `n${i + 1}`,
        '--cluster_name',
        'test',
        '--cluster',
        `nats://127.0.0.1:${p.cluster}`,
        '--routes',
        routes,
      ]),
    ),
  );
  const stop = async () => void (await Promise.all(servers.map((s) => s.stop())));
  const urls = servers.map((s) => s.url);
  const nc = await connect({ servers: urls });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 1_000 });
        await jsm.getAccountInfo();
        return { urls, stop };
      } catch (err) {
        if (Date.now() > deadline) {
          await stop();
          throw new Error(`JetStream cluster did not come up: ${String(err)}`);
        }
        await sleep(250);
      }
    }
  } finally {
    await nc.close();
  }
}

export { freePort };
