/**
 * SPEC "Ports": the embedded `npm start` listens on 127.0.0.1 only (it seeds a demo admin with a
 * known password); HOST opens it up. Checked from outside: a connection to one of this machine's
 * non-loopback addresses is refused, unless HOST=0.0.0.0.
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_PORTS, type RunningPlatform, startPlatform } from '../scripts/platform.js';
import { testEnv } from './support/env.js';

const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && !a.internal && a.family === 'IPv4')?.address;

/** 'connected' or the connection error's code (ECONNREFUSED when nothing listens there). */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** The embedded mode, as `npm start` runs it with no service URLs. */
const embedded = (host: string) =>
  startPlatform({ env: { ...testEnv(), DATABASE_URL: '', REDIS_URL: '', NATS_URL: '', HOST: host }, ports: FREE_PORTS, dataDir: null });

const portOf = (url: string) => Number(new URL(url).port);

describe.skipIf(!external)(
  `listen address (seen from ${external ?? 'nowhere: this machine has no non-loopback IPv4 address, skipped'})`,
  () => {
    let loopbackOnly: RunningPlatform;
    let opened: RunningPlatform;
    beforeAll(async () => {
      [loopbackOnly, opened] = await Promise.all([embedded(''), embedded('0.0.0.0')]);
    }, 120_000);
    afterAll(async () => {
      await Promise.all([loopbackOnly?.close(), opened?.close()]);
    });

    it('npm start without HOST: every service answers on 127.0.0.1 and refuses connections from the network', async () => {
      for (const [name, url] of Object.entries(loopbackOnly.urls)) {
        expect(await tryConnect('127.0.0.1', portOf(url)), name).toBe('connected');
        expect(await tryConnect(external!, portOf(url)), name).toBe('ECONNREFUSED');
      }
      expect((await fetch(`${loopbackOnly.urls.gateway}/healthz`)).status).toBe(200);
      expect(loopbackOnly.host).toBe('127.0.0.1');
    });

    it('HOST=0.0.0.0 opens every service to the network', async () => {
      for (const [name, url] of Object.entries(opened.urls)) expect(await tryConnect(external!, portOf(url)), name).toBe('connected');
      expect((await fetch(`http://${external}:${portOf(opened.urls.gateway)}/healthz`)).status).toBe(200);
    });
  },
);
