/**
 * SIGTERM (what `docker compose stop` and Kubernetes send) stops a production service gracefully:
 * the HTTP server, consumers, outbox relay, cache, bus and pool close in order, "stopped" is
 * logged and the exit code is 0. Started as the containers start them (`node --import tsx`),
 * with NODE_ENV=production: there Apollo Server would install its own signal handlers, which
 * stopped the server and re-raised the signal, ending the process before anything else closed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { platformEnv } from './support/client.js';
import { deleteNamespaceStreams } from './support/nats-namespace.js';
import { freePort } from './support/ports.js';

const repoRoot = join(import.meta.dirname, '..');

/** Starts `entry` as its container does, sends SIGTERM once it listens, and reports how it ended. */
async function startThenTerminate(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listening = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (/listening on|" listening"|listening"/.test(output)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => {
    let sentAt = 0;
    listening.then(() => {
      sentAt = Date.now();
      child.kill('SIGTERM');
    });
    child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - sentAt }));
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  const result = await ended;
  clearTimeout(killer);
  return { ...result, output };
}

/** The namespaces the started services made streams in. */
const namespaces: string[] = [];

const production = () => {
  const namespace = `stop${randomBytes(4).toString('hex')}`;
  namespaces.push(namespace);
  return { ...platformEnv(), NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', NATS_NAMESPACE: namespace };
};

describe('SIGTERM in production', () => {
  afterAll(async () => {
    for (const namespace of namespaces) await deleteNamespaceStreams(platformEnv().NATS_URL, namespace);
  });

  it('a subgraph closes everything, logs "stopped" and exits 0', async () => {
    const run = await startThenTerminate('subgraphs/workouts/src/index.ts', { ...production(), PORT: String(await freePort()) });
    expect(run.output).toContain('"msg":"shutting down"');
    expect(run.output).toContain('"msg":"stopped"');
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
  });

  it('the gateway does the same', async () => {
    const run = await startThenTerminate('gateway/src/index.ts', { ...production(), PORT: String(await freePort()) });
    expect(run.output).toContain('"msg":"stopped"');
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
  });
});
