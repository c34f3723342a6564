/**
 * Issue 14: a username is the same whoever asks, once signed in, and changes only when the
 * account is erased. So the gateway keeps auth's answers to entity fetches that ask only for such
 * fields (ACCOUNT_SHARED_FIELDS, default `username,createdAt`) for callers with a verified token,
 * and forgets them at every `cache.account.invalidated`. Observed with a counting proxy in front
 * of auth, on an extra gateway listening on a NATS namespace of its own (every other test's
 * erasures would otherwise empty its memory at any moment); this file sends the broadcast itself.
 * account-cache.test.ts shows auth broadcasting it when an erasure commits.
 */
import { randomBytes } from 'node:crypto';
import { NatsEventBus, Subjects } from '@app/events';
import { buildGateway, loadGatewayConfig } from '@app/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, gql, platformEnv, registerAndLogin, serviceUrl } from './support/client.js';
import { type CountingProxy, countingProxy } from './support/counting-proxy.js';

const ME = '{ me { id username } }';
const ME_PRIVATE = '{ me { id username email } }';

describe("auth's account answers kept by the gateway for signed-in callers", () => {
  let proxy: CountingProxy;
  let url: string;
  let bus: NatsEventBus;
  const namespace = `accounts${randomBytes(4).toString('hex')}`;
  const closers: (() => unknown)[] = [];

  async function extraGateway(overrides: Record<string, string> = {}) {
    const gateway = await buildGateway({
      config: loadGatewayConfig({ ...platformEnv(), SUBGRAPH_AUTH_URL: `${proxy.url}/graphql`, NATS_NAMESPACE: namespace, ...overrides }),
    });
    closers.push(() => gateway.close());
    return `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}/graphql`;
  }

  beforeAll(async () => {
    proxy = await countingProxy(serviceUrl('auth'));
    closers.push(() => proxy.close());
    url = await extraGateway();
    bus = await NatsEventBus.connect({ url: platformEnv().NATS_URL, namespace });
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await bus?.deleteNamespaceStreams().catch(() => {});
    await bus?.close();
  });

  const authCallsFor = (userId: string) => proxy.bodies.filter((body) => body.includes('_entities') && body.includes(userId)).length;

  it('asks auth once for a username, then answers from memory', async () => {
    const user = await registerAndLogin('kept');
    for (let i = 0; i < 3; i++) {
      const answer = await gql(ME, undefined, { url, token: user.accessToken });
      expect(answer.body).toEqual({ data: { me: { id: user.id, username: user.username } } });
    }
    expect(authCallsFor(user.id), JSON.stringify(proxy.bodies)).toBe(1);
  });

  it('a private field is asked for every time, and answered to its owner only', async () => {
    const user = await registerAndLogin('private');
    for (let i = 0; i < 2; i++) {
      const answer = await gql(ME_PRIVATE, undefined, { url, token: user.accessToken });
      expect(answer.body).toEqual({ data: { me: { id: user.id, username: user.username, email: user.email } } });
    }
    expect(authCallsFor(user.id)).toBe(2);
  });

  it('an erasure broadcast empties it: the next read asks auth again', async () => {
    const user = await registerAndLogin('erased');
    await gql(ME, undefined, { url, token: user.accessToken });
    await gql(ME, undefined, { url, token: user.accessToken });
    expect(authCallsFor(user.id)).toBe(1);
    await bus.broadcast(Subjects.CacheAccountInvalidated, { userId: user.id });
    await eventually(async () => {
      await gql(ME, undefined, { url, token: user.accessToken });
      return authCallsFor(user.id) >= 2;
    }, 5_000);
  });

  it('off (ACCOUNT_SHARED_FIELDS=none): every read asks auth', async () => {
    const uncached = await extraGateway({ ACCOUNT_SHARED_FIELDS: 'none' });
    const user = await registerAndLogin('uncached');
    await gql(ME, undefined, { url: uncached, token: user.accessToken });
    await gql(ME, undefined, { url: uncached, token: user.accessToken });
    expect(authCallsFor(user.id)).toBe(2);
  });

  it('refuses a configuration that would share a private field', () => {
    expect(() => loadGatewayConfig({ ...platformEnv(), ACCOUNT_SHARED_FIELDS: 'username,email' })).toThrow(/private to their owner/);
  });
});
