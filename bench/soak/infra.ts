/**
 * What the soak runs the platform on, all on loopback and all its own so that every connection
 * and subscription it counts is the platform's, and nothing it does reaches another run:
 *
 * - a database of its own on the local Postgres (`soak_<id>`, dropped at the end): the production
 *   settings encrypt the signing keys at rest, which must not happen to the shared `test` database;
 * - a redis-server of its own: `jwks:cache` is one key for every deployment on a Redis, and the
 *   soak's auth signs with keys of its own;
 * - a nats-server of its own with JetStream and its monitoring port (`/connz?subs=1`, `/jsz`), the
 *   only way to count the platform's core subscriptions from outside (4222's server has none).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../tests/support/ports.js';

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export interface Server {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `command args` and waits until `port` accepts connections. */
async function startServer(name: string, command: string, args: string[], port: number, cleanup?: () => void): Promise<Server> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)));
  const spawned = new Promise<Error | null>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(null));
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    cleanup?.();
  };
  const failure = await spawned;
  if (failure) {
    cleanup?.();
    throw new Error(`${name}: could not run ${command} (${failure.message}); the soak needs it on PATH`);
  }
  const deadline = Date.now() + 15_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not start on port ${port}: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, child, stop };
}

export async function startRedis(): Promise<Server & { url: string; port: number }> {
  const port = await freePort();
  // As production asks (README, "a full or evicting Redis"): noeviction with a memory limit.
  const server = await startServer(
    'redis-server',
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
      '--maxmemory',
      '256mb',
      '--maxmemory-policy',
      'noeviction',
    ],
    port,
  );
  return { ...server, url: `redis://127.0.0.1:${port}`, port };
}

export async function startNats(): Promise<Server & { url: string; port: number; monitorUrl: string }> {
  const port = await freePort();
  const monitorPort = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'soak-nats-'));
  const server = await startServer(
    'nats-server',
    'nats-server',
    ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', storeDir],
    port,
    () => rmSync(storeDir, { recursive: true, force: true }),
  );
  // The monitoring listener comes up with the client one, but not necessarily first.
  const deadline = Date.now() + 10_000;
  while (!(await answers(monitorPort))) {
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error('nats-server: monitoring port did not open');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ...server, url: `nats://127.0.0.1:${port}`, port, monitorUrl: `http://127.0.0.1:${monitorPort}` };
}

/** A fresh database on the Postgres of `adminUrl`; `drop()` removes it (closing whatever is still connected). */
export async function createDatabase(adminUrl: string, name: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export { freePort };
