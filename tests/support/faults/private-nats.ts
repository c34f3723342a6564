import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../ports.js';
import { PrivateServer } from './private-process.js';

export interface PrivateNats {
  url: string;
  port: number;
  server: PrivateServer;
  /** Kills the server and removes its JetStream store. */
  dispose(): Promise<void>;
}

/**
 * A nats-server with JetStream and a store of its own: a kill and restart keeps the streams, the
 * consumers and their acknowledged positions, as a real deployment's file store does.
 */
export async function startPrivateNats(): Promise<PrivateNats> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'private-nats-'));
  const url = `nats://127.0.0.1:${port}`;
  const server = new PrivateServer({
    name: `nats-server :${port}`,
    dataDir: storeDir,
    command: 'nats-server',
    args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
    async probe() {
      const nc = await connect({ servers: url, reconnect: false, timeout: 1_000 });
      try {
        // JetStream answers only once it has recovered its store.
        await (await jetstreamManager(nc, { timeout: 1_000 })).getAccountInfo();
      } finally {
        await nc.close();
      }
    },
  });
  await server.start();
  return {
    url,
    port,
    server,
    dispose: () => server.dispose(),
  };
}
