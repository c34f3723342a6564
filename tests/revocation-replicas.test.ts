/**
 * Issue 14: every token verifier keeps the revocations in memory, pushed over NATS with Redis as
 * the truth, so a token check makes no Redis round trip. A revocation must still hold on every
 * replica: a logout, an ended session or an erasure done through the suite's gateway is refused
 * by a second gateway replica built here (its own verifier and revocation list, the same Redis and
 * NATS namespace) within the bound; a replica started after the revocation refuses at once (it
 * loads Redis at start); and a replica that never hears the broadcasts, or whose NATS is gone,
 * still refuses (it notices the missing revision, or the drop, and asks Redis).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, call as gql, loginAs, platformEnv, registerAndLogin, type TestUser } from './support/client.js';
import { type PrivateNats, startPrivateNats } from './support/faults/index.js';
import { call, expectError, expectRefused, LOGOUT, ME, REFRESH } from './support/tokens.js';

/** RevocationList's staleness bound (maxStalenessMs): a revoked token is refused everywhere within it. */
const BOUND_MS = 1_000;
/** One request through the replica on a busy machine, added to the bound by the polling. */
const SLACK_MS = 500;

const DELETE_ME = `mutation { deleteMe { id } }`;
const STATUS = `query Status($id: ID!) { deletionStatus(id: $id) { completedAt } }`;

interface Replica {
  url: string;
  close(): Promise<void>;
}

/** Another gateway on the platform's subgraphs, Redis and NATS namespace (or the NATS given). */
async function startReplica(env: Record<string, string> = {}): Promise<Replica> {
  const gateway: GatewayService = await buildGateway({ config: loadGatewayConfig({ ...platformEnv(), ...env }) });
  const port = await gateway.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}/graphql`, close: () => gateway.close() };
}

const me = (token: string, url?: string) => call(ME, {}, { token, url });

/** The token works at `url` (so that replica's verifier has checked and remembered it). */
async function accepted(url: string, user: Pick<TestUser, 'accessToken' | 'id'>) {
  const res = await me(user.accessToken, url);
  expect(res.body, JSON.stringify(res.body)).toEqual({ data: { me: { id: user.id } } });
}

/**
 * Asks `url` until the replica itself refuses `token` (401 at its door); fails if it still lets
 * it through `withinMs` after the start. A 200 whose `me` failed is the platform's users subgraph
 * refusing behind a replica that did not (yet).
 */
async function refusedWithin(url: string, token: string, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await me(token, url);
    if (res.status === 401) {
      expectRefused(res);
      return Date.now() - started;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (Date.now() - started > withinMs) throw new Error(`${url} still accepts the revoked token ${withinMs} ms later`);
    await sleep(10);
  }
}

describe('a second gateway replica on the same Redis and NATS', () => {
  let replica: Replica;
  beforeAll(async () => {
    replica = await startReplica();
  });
  afterAll(() => replica?.close());

  it(`refuses a token logged out through the other gateway within ${BOUND_MS} ms`, async () => {
    const user = await registerAndLogin('revrep');
    await accepted(replica.url, user);
    expect((await call(LOGOUT, {}, { token: user.accessToken })).body).toEqual({ data: { logout: true } });
    await refusedWithin(replica.url, user.accessToken, BOUND_MS + SLACK_MS);
  });

  it('refuses every token of a session ended by refresh-token reuse within the bound', async () => {
    const user = await registerAndLogin('revses');
    const rotated = (await call(REFRESH, { token: user.refreshToken })).body.data!.refreshToken as { accessToken: string };
    for (const token of [user.accessToken, rotated.accessToken]) await accepted(replica.url, { id: user.id, accessToken: token });
    // The used refresh token presented again: the session ends (revoked-session).
    expectError(await call(REFRESH, { token: user.refreshToken }), 'UNAUTHENTICATED');
    for (const token of [user.accessToken, rotated.accessToken]) await refusedWithin(replica.url, token, BOUND_MS + SLACK_MS);
  });

  it("refuses an erased user's token within the bound once the erasure is done", async () => {
    const user = await registerAndLogin('reverase');
    await accepted(replica.url, user);
    const request = await call(DELETE_ME, {}, { token: user.accessToken });
    expect(request.body.errors, JSON.stringify(request.body)).toBeUndefined();
    const id = request.body.data!.deleteMe.id as string;
    // Auth revokes the user before it reports its part done: from completion on, the bound applies.
    await eventually(async () => (await gql(STATUS, { id })).body.data?.deletionStatus?.completedAt, 30_000);
    await refusedWithin(replica.url, user.accessToken, BOUND_MS + SLACK_MS);
  });

  it('a replica started after the revocation refuses at once (it loads the revocations from Redis)', async () => {
    const user = await registerAndLogin('revlate');
    const other = await loginAs(user.username, user.password);
    expect((await call(LOGOUT, {}, { token: user.accessToken })).body).toEqual({ data: { logout: true } });
    const late = await startReplica();
    try {
      expectRefused(await me(user.accessToken, late.url));
      // The same user's other session is untouched.
      await accepted(late.url, { id: user.id, accessToken: other.accessToken });
    } finally {
      await late.close();
    }
  });
});

describe('a replica that does not hear the broadcasts', () => {
  let nats: PrivateNats;
  let replica: Replica;
  beforeAll(async () => {
    // A NATS of its own: the platform's auth broadcasts elsewhere, so every broadcast is lost to it.
    nats = await startPrivateNats();
    replica = await startReplica({ NATS_URL: nats.url });
  }, 60_000);
  afterAll(async () => {
    // Back first, so the replica closes its connection cleanly.
    await nats?.server.start();
    await replica?.close();
    await nats?.dispose();
  }, 60_000);

  it('notices the revision it missed and refuses within the bound', async () => {
    const user = await registerAndLogin('revlost');
    await accepted(replica.url, user);
    expect((await call(LOGOUT, {}, { token: user.accessToken })).body).toEqual({ data: { logout: true } });
    await refusedWithin(replica.url, user.accessToken, BOUND_MS + SLACK_MS);
  });

  it('with its NATS gone it asks Redis: revoked tokens are refused, valid ones still served', async () => {
    const [revoked, valid] = [await registerAndLogin('revdown'), await registerAndLogin('revup')];
    await accepted(replica.url, revoked);
    await accepted(replica.url, valid);
    await nats.server.kill();

    expect((await call(LOGOUT, {}, { token: revoked.accessToken })).body).toEqual({ data: { logout: true } });
    await refusedWithin(replica.url, revoked.accessToken, BOUND_MS + SLACK_MS);
    await accepted(replica.url, valid);
  });
});
