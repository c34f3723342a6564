import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeFacebook, type FakePost, startFakeFacebook } from '../../../tests/support/fake-facebook.js';
import { FacebookTokenError, FacebookUnavailableError } from '../src/facebook/facebook-client.js';
import { classifyGraphError, GraphApiFacebookClient, POST_FIELDS } from '../src/facebook/graph-api-facebook-client.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function fake(options?: Parameters<typeof startFakeFacebook>[0]): Promise<FakeFacebook> {
  const fb = await startFakeFacebook(options);
  cleanups.push(() => fb.close());
  return fb;
}

/** A bare local server for answers the fake never gives (hostile links, malformed bodies, slow pages). */
async function scripted(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const newToken = () => `EAAtest${randomBytes(24).toString('hex')}`;
const SINCE = new Date('2025-01-01T00:00:00Z');
const UNTIL = new Date('2025-01-15T00:00:00Z');
const at = (base: Date, seconds: number) => new Date(base.getTime() + seconds * 1000);
const post = (createdTime: Date, reactions: number, comments: number): FakePost => ({
  createdTime,
  reactions,
  comments,
  message: 'private words',
});

/** Awaits a rejection and checks the token shows nowhere in the error: message, stack, fields, causes. */
async function rejection(promise: Promise<unknown>, token: string): Promise<Error> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const text = `${String(e)} ${e.stack ?? ''} ${JSON.stringify(e, Object.getOwnPropertyNames(e))}`;
    expect(text).not.toContain(token);
  }
  return err;
}

describe('GraphApiFacebookClient.verifyToken against the fake Graph API', () => {
  it('returns the app-scoped user id, asking for the id only', async () => {
    const fb = await fake();
    const token = newToken();
    fb.addAccount({ token, userId: '10215241773831025', name: 'Ada Lovelace' });
    const client = new GraphApiFacebookClient({ baseUrl: fb.url });
    expect(await client.verifyToken(token)).toEqual({ facebookUserId: '10215241773831025' });
    expect(fb.requests).toEqual([{ method: 'GET', path: '/v21.0/me', query: { fields: 'id', access_token: '***' } }]);
  });

  it('an unknown token is a FacebookTokenError (code 190, no subcode)', async () => {
    const fb = await fake();
    const token = newToken();
    const err = await rejection(new GraphApiFacebookClient({ baseUrl: fb.url }).verifyToken(token), token);
    expect(err).toBeInstanceOf(FacebookTokenError);
    expect(err).toMatchObject({
      name: 'FacebookTokenError',
      code: 'FACEBOOK_CONNECTION_FAILED',
      facebookCode: 190,
      facebookSubcode: undefined,
      httpStatus: 400,
    });
  });

  it('an expired token is a FacebookTokenError (code 190, subcode 463)', async () => {
    const fb = await fake();
    const token = newToken();
    fb.addAccount({ token, userId: '42' });
    fb.expireToken(token);
    const err = await rejection(new GraphApiFacebookClient({ baseUrl: fb.url }).verifyToken(token), token);
    expect(err).toBeInstanceOf(FacebookTokenError);
    expect(err).toMatchObject({ facebookCode: 190, facebookSubcode: 463 });
    expect(err.message).toMatch(/expired/);
  });

  it('an empty token is a FacebookTokenError without asking Facebook', async () => {
    const fb = await fake();
    await expect(new GraphApiFacebookClient({ baseUrl: fb.url }).verifyToken(' ')).rejects.toBeInstanceOf(FacebookTokenError);
    expect(fb.requests).toEqual([]);
  });
});

describe('GraphApiFacebookClient.countActivity against the fake Graph API', () => {
  const posts = [
    post(SINCE, 5, 1), // first instant of the window: counted
    post(at(SINCE, 86_400), 10, 2),
    post(at(SINCE, 5 * 86_400), 0, 0),
    post(at(UNTIL, -1), 7, 3), // last second of the window: counted
    post(UNTIL, 100, 100), // the window is [since, until): not counted, though Facebook's until includes it
    post(at(SINCE, -1), 1000, 1000),
    post(new Date('2024-06-01T12:00:00Z'), 1000, 1000),
    post(new Date('2025-03-01T12:00:00Z'), 1000, 1000),
  ];

  it('counts only the window, across several pages, asking only for times and totals', async () => {
    const fb = await fake({ pageSize: 2 });
    const token = newToken();
    fb.addAccount({ token, userId: '1000123', posts });
    const activity = await new GraphApiFacebookClient({ baseUrl: fb.url }).countActivity(token, { since: SINCE, until: UNTIL });
    expect(activity).toEqual({ posts: 4, reactions: 22, comments: 6 });

    expect(fb.requests.map((r) => r.path)).toEqual(['/v21.0/me/posts', '/v21.0/1000123/posts', '/v21.0/1000123/posts']);
    expect(fb.requests[0].query).toEqual({
      fields: POST_FIELDS,
      since: '1735689600',
      until: '1736899200',
      limit: '100',
      access_token: '***',
    });
    for (const request of fb.requests) {
      expect(request.query.fields).toBe(POST_FIELDS);
      // Only times and totals: never message, story, from, to, tags, attachments, ...
      expect(request.query.fields.split(',').map((f) => f.split('.')[0])).toEqual(['created_time', 'reactions', 'comments']);
      expect(request.query.access_token).toBe('***');
      expect(request.query.appsecret_proof).toBeUndefined();
    }
  });

  it('adds appsecret_proof (HMAC-SHA256 of the token keyed by the app secret) to every call', async () => {
    const fb = await fake({ pageSize: 2, appSecret: 'app-secret' });
    const token = newToken();
    fb.addAccount({ token, userId: '7', posts });
    const client = new GraphApiFacebookClient({ baseUrl: fb.url, appSecret: 'app-secret' });
    await client.verifyToken(token);
    expect(await client.countActivity(token, { since: SINCE, until: UNTIL })).toEqual({ posts: 4, reactions: 22, comments: 6 });
    const proof = createHmac('sha256', 'app-secret').update(token).digest('hex');
    expect(fb.requests.length).toBe(4);
    for (const request of fb.requests) expect(request.query.appsecret_proof).toBe(proof);
  });

  it('a wrong app secret is our configuration, not the user: FacebookUnavailableError (code 100)', async () => {
    const fb = await fake({ appSecret: 'app-secret' });
    const token = newToken();
    fb.addAccount({ token, userId: '7' });
    const err = await rejection(new GraphApiFacebookClient({ baseUrl: fb.url, appSecret: 'other' }).verifyToken(token), token);
    expect(err).toBeInstanceOf(FacebookUnavailableError);
    expect(err).toMatchObject({ code: 'FACEBOOK_API_ERROR', facebookCode: 100, httpStatus: 400 });
  });

  it('an expired token is a FacebookTokenError here too', async () => {
    const fb = await fake();
    const token = newToken();
    fb.addAccount({ token, userId: '7', posts });
    fb.expireToken(token);
    const err = await rejection(
      new GraphApiFacebookClient({ baseUrl: fb.url }).countActivity(token, { since: SINCE, until: UNTIL }),
      token,
    );
    expect(err).toMatchObject({ name: 'FacebookTokenError', facebookCode: 190, facebookSubcode: 463 });
  });

  it('an answer longer than maxPages fails rather than reporting a partial count', async () => {
    const fb = await fake({ pageSize: 1 });
    const token = newToken();
    fb.addAccount({ token, userId: '7', posts: posts.slice(0, 3) });
    const window = { since: SINCE, until: UNTIL };
    const err = await rejection(new GraphApiFacebookClient({ baseUrl: fb.url, maxPages: 2 }).countActivity(token, window), token);
    expect(err).toBeInstanceOf(FacebookUnavailableError);
    expect(fb.requests.length).toBe(2);
    expect(await new GraphApiFacebookClient({ baseUrl: fb.url, maxPages: 3 }).countActivity(token, window)).toEqual({
      posts: 3,
      reactions: 15,
      comments: 3,
    });
  });

  it('refuses a window that is empty or backwards', async () => {
    const client = new GraphApiFacebookClient({ baseUrl: 'http://127.0.0.1:9' });
    await expect(client.countActivity(newToken(), { since: UNTIL, until: SINCE })).rejects.toThrow(RangeError);
    await expect(client.countActivity(newToken(), { since: SINCE, until: SINCE })).rejects.toThrow(RangeError);
  });
});

describe('GraphApiFacebookClient when Facebook cannot answer', () => {
  it('down (500, code 2, is_transient) is a FacebookUnavailableError', async () => {
    const fb = await fake();
    const token = newToken();
    fb.addAccount({ token, userId: '7' });
    fb.setMode('down');
    const client = new GraphApiFacebookClient({ baseUrl: fb.url });
    const err = await rejection(client.verifyToken(token), token);
    expect(err).toBeInstanceOf(FacebookUnavailableError);
    expect(err).toMatchObject({ code: 'FACEBOOK_API_ERROR', facebookCode: 2, httpStatus: 500 });
    await rejection(client.countActivity(token, { since: SINCE, until: UNTIL }), token).then((e) =>
      expect(e).toBeInstanceOf(FacebookUnavailableError),
    );
  });

  it('slow is a FacebookUnavailableError within the time limit', async () => {
    const fb = await fake();
    const token = newToken();
    fb.addAccount({ token, userId: '7' });
    fb.setMode('slow');
    const client = new GraphApiFacebookClient({ baseUrl: fb.url, timeoutMs: 300 });
    const started = Date.now();
    const err = await rejection(client.verifyToken(token), token);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(FacebookUnavailableError);
    expect(err.message).toMatch(/within 300 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
  });

  it('the time limit covers the whole call, not each page', async () => {
    // Every page answers in 150 ms (well within 400 ms), but the third ends after 450 ms.
    const server = await scripted((req, res) => {
      const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? 0);
      setTimeout(() => json(res, 200, { data: [], paging: { next: `${server.url}/v21.0/7/posts?after=${page + 1}` } }), 150);
    });
    const token = newToken();
    const started = Date.now();
    const err = await rejection(
      new GraphApiFacebookClient({ baseUrl: server.url, timeoutMs: 400 }).countActivity(token, { since: SINCE, until: UNTIL }),
      token,
    );
    expect(err).toBeInstanceOf(FacebookUnavailableError);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(server.hits.length).toBe(3);
  });

  it('rate limited ((#17) User request limit reached) is a FacebookUnavailableError', async () => {
    const fb = await fake();
    const token = newToken();
    fb.addAccount({ token, userId: '7', posts: [post(SINCE, 1, 1)] });
    fb.setMode('rate_limited');
    const client = new GraphApiFacebookClient({ baseUrl: fb.url });
    const err = await rejection(client.countActivity(token, { since: SINCE, until: UNTIL }), token);
    expect(err).toBeInstanceOf(FacebookUnavailableError);
    expect(err).toMatchObject({ facebookCode: 17, httpStatus: 400 });
    expect(err.message).toMatch(/rate limiting/);
    await expect(client.verifyToken(token)).rejects.toBeInstanceOf(FacebookUnavailableError);
  });

  it('a refused connection is a FacebookUnavailableError whose cause keeps the network code', async () => {
    const fb = await startFakeFacebook();
    await fb.close();
    const token = newToken();
    const err = await rejection(new GraphApiFacebookClient({ baseUrl: fb.url }).verifyToken(token), token);
    expect(err).toBeInstanceOf(FacebookUnavailableError);
    const codes: unknown[] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause) codes.push((e as { code?: unknown }).code);
    expect(codes).toContain('ECONNREFUSED');
  });

  it('malformed answers are FacebookUnavailableError', async () => {
    const answers: [number, string][] = [
      [502, '<html>Bad Gateway</html>'],
      [200, 'not json'],
      [200, JSON.stringify({ data: 'nope' })],
      [200, JSON.stringify({ data: [{ created_time: 'yesterday' }] })],
      [200, JSON.stringify({ data: [{ created_time: '2025-01-02T00:00:00+0000', reactions: { summary: { total_count: -1 } } }] })],
    ];
    // The case number travels as a path prefix of the base URL: /c<i>/v21.0/me/posts
    const server = await scripted((req, res) => {
      const [status, body] = answers[Number(/^\/c(\d+)\//.exec(req.url ?? '')?.[1])];
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    });
    for (let i = 0; i < answers.length; i++) {
      const token = newToken();
      const client = new GraphApiFacebookClient({ baseUrl: `${server.url}/c${i}` });
      const err = await rejection(client.countActivity(token, { since: SINCE, until: UNTIL }), token);
      expect(err, `case ${i}`).toBeInstanceOf(FacebookUnavailableError);
    }
  });
});

describe('GraphApiFacebookClient never sends the token elsewhere', () => {
  it('does not follow a paging.next that points at another origin', async () => {
    const elsewhere = await fake();
    const server = await scripted((_req, res) =>
      json(res, 200, {
        data: [{ id: '1_1', created_time: '2025-01-02T00:00:00+0000', reactions: { data: [], summary: { total_count: 1 } } }],
        paging: { next: `${elsewhere.url}/v21.0/1/posts?after=MA%3D%3D` },
      }),
    );
    const token = newToken();
    const err = await rejection(
      new GraphApiFacebookClient({ baseUrl: server.url }).countActivity(token, { since: SINCE, until: UNTIL }),
      token,
    );
    expect(err).toBeInstanceOf(FacebookUnavailableError);
    expect(err.message).toMatch(/another origin/);
    expect(server.hits.length).toBe(1);
    expect(elsewhere.requests).toEqual([]);
  });

  it('does not follow redirects', async () => {
    const elsewhere = await fake();
    const server = await scripted((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/v21.0/me?fields=id` });
      res.end();
    });
    const token = newToken();
    const err = await rejection(new GraphApiFacebookClient({ baseUrl: server.url }).verifyToken(token), token);
    expect(err).toBeInstanceOf(FacebookUnavailableError);
    expect(elsewhere.requests).toEqual([]);
  });

  it('asks only for count fields even when a paging link asks for more', async () => {
    const server = await scripted((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.has('after')) return json(res, 200, { data: [] });
      json(res, 200, { data: [], paging: { next: `${server.url}/v21.0/1/posts?fields=message,from&after=x` } });
    });
    await new GraphApiFacebookClient({ baseUrl: server.url }).countActivity(newToken(), { since: SINCE, until: UNTIL });
    expect(server.hits.length).toBe(2);
    expect(new URL(server.hits[1], 'http://x').searchParams.get('fields')).toBe(POST_FIELDS);
  });
});

describe('classifyGraphError (Graph API codes -> token error or unavailable)', () => {
  const oauth = (code: number, error_subcode?: number, extra: object = {}) => ({ type: 'OAuthException', code, error_subcode, ...extra });
  it.each([
    [400, oauth(190), 'token'],
    [400, oauth(190, 463), 'token'],
    [400, oauth(190, 460), 'token'],
    [400, oauth(190, 458), 'token'],
    [400, oauth(190, 467), 'token'],
    [400, oauth(102), 'token'],
    [403, oauth(10), 'token'],
    [403, oauth(200), 'token'],
    [400, oauth(299), 'token'],
    [400, oauth(2500), 'token'],
    [403, oauth(4, undefined, { is_transient: true }), 'unavailable'],
    [400, oauth(17, 2446079, { is_transient: true }), 'unavailable'],
    [400, oauth(32), 'unavailable'],
    [400, oauth(613), 'unavailable'],
    [500, oauth(1), 'unavailable'],
    [500, oauth(2, undefined, { is_transient: true }), 'unavailable'],
    [503, { code: 190 }, 'unavailable'],
    [400, { type: 'GraphMethodException', code: 100 }, 'unavailable'],
    [400, oauth(100), 'unavailable'],
  ] as const)('HTTP %i %j -> %s', (status, error, expected) => {
    expect(classifyGraphError(status, error)).toBe(expected);
  });
});
