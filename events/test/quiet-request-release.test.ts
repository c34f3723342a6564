/**
 * quietRequestRelease against the real NATS server: answered requests resolve and are released
 * without building nats.js's "cancelled" RequestError; failed ones still reject with the
 * library's own errors (no responders, timeout).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietRequestRelease } from '../src/quiet-request-release.js';

const url = process.env.NATS_URL ?? '127.0.0.1:4222';
const require = createRequire(import.meta.url);
// The module request.js reads RequestError from at each use (the package exports only its index).
const errors = require(join(dirname(require.resolve('@nats-io/nats-core')), 'errors.js')) as {
  RequestError: new (...args: never[]) => Error;
};

describe('quietRequestRelease', () => {
  let nc: NatsConnection;
  const subject = `quiet.${randomBytes(6).toString('hex')}`;
  const original = errors.RequestError;
  let built: string[] = [];

  beforeAll(async () => {
    expect(quietRequestRelease()).toBe(true);
    // Counts every RequestError nats.js builds while the test runs.
    errors.RequestError = class extends original {
      constructor(...args: never[]) {
        super(...args);
        built.push(this.message);
      }
    };
    nc = await connect({ servers: url, noAsyncTraces: true });
    nc.subscribe(subject, { callback: (_err, msg) => void msg.respond(`echo ${msg.string()}`) });
    await nc.flush();
  });

  afterAll(async () => {
    errors.RequestError = original;
    await nc?.close();
  });

  it('is installed once: a second call changes nothing', () => {
    expect(quietRequestRelease()).toBe(true);
  });

  it('answers requests and releases them without building a cancel error', async () => {
    built = [];
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => nc.request(subject, `n${i}`, { timeout: 2_000 })));
    expect(answers.map((m) => m.string())).toEqual(Array.from({ length: 20 }, (_, i) => `echo n${i}`));
    expect(built).toEqual([]);
    // Released: the connection's request table is empty again.
    const mux = (nc as unknown as { protocol: { muxSubscriptions: { reqs: Map<string, unknown> } } }).protocol.muxSubscriptions;
    expect(mux.reqs.size).toBe(0);
  });

  it('still rejects a request nobody answers with the library error, and one that times out', async () => {
    await expect(nc.request(`${subject}.nobody`, 'x', { timeout: 2_000 })).rejects.toSatisfy(
      (err: Error & { isNoResponders?(): boolean }) => err.name === 'RequestError' && err.isNoResponders?.() === true,
    );
    const silent = `${subject}.silent`;
    nc.subscribe(silent, { callback: () => {} });
    await nc.flush();
    await expect(nc.request(silent, 'x', { timeout: 200 })).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
