import { Redis } from 'ioredis';
import { freePort } from '../ports.js';
import { PrivateServer } from './private-process.js';

export interface PrivateRedis {
  url: string;
  port: number;
  server: PrivateServer;
}

/** A redis-server of the test's own (nothing kept on disk: a restart starts empty, like the machine's). */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const server = new PrivateServer({
    name: `redis-server :${port}`,
    command: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
    async probe() {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
      } finally {
        probe.disconnect();
      }
    },
  });
  await server.start();
  return { url, port, server };
}
