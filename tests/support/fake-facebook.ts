/**
 * A local stand-in for Facebook's Graph API, on 127.0.0.1 only, for the calls the relationship-map
 * client makes: GET /vX.Y/me and GET /vX.Y/{me|user-id}/posts, with Facebook's error bodies and
 * HTTP statuses (400 for token errors, 500 with is_transient when down, (#17) for a throttled user).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePost {
  createdTime: Date;
  reactions: number;
  comments: number;
  /** Stored only so tests can prove it is never requested. */
  message?: string;
}

export type FakeFacebookMode = 'ok' | 'down' | 'slow' | 'rate_limited';

export interface FakeFacebook {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  addAccount(account: { token: string; userId: string; posts?: FakePost[]; name?: string }): void;
  /** Later calls with it -> 400, code 190, subcode 463 "Error validating access token: Session has expired on ...". */
  expireToken(token: string): void;
  /** down -> 500 code 2 (is_transient); slow -> never answers until close(); rate_limited -> 400 (#17) User request limit reached. */
  setMode(mode: FakeFacebookMode): void;
  /** Every request, in order, with access_token redacted to '***'. */
  requests: { method: string; path: string; query: Record<string, string> }[];
  close(): Promise<void>;
}

interface Account {
  token: string;
  userId: string;
  name: string;
  posts: FakePost[];
  expiredAt?: Date;
}

interface GraphErrorBody {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  is_transient?: boolean;
}

// The bodies Facebook answers with (message, type, code, subcode as the real API sends them).
const NO_TOKEN: GraphErrorBody = {
  message: 'An active access token must be used to query information about the current user.',
  type: 'OAuthException',
  code: 2500,
};
const INVALID_TOKEN: GraphErrorBody = {
  message: 'Invalid OAuth access token - Cannot parse access token',
  type: 'OAuthException',
  code: 190,
};
const BAD_PROOF: GraphErrorBody = {
  message: 'Invalid appsecret_proof provided in the API argument',
  type: 'GraphMethodException',
  code: 100,
};
const DOWN: GraphErrorBody = {
  message: 'An unexpected error has occurred. Please retry your request later.',
  type: 'OAuthException',
  code: 2,
  is_transient: true,
};
const USER_LIMIT: GraphErrorBody = {
  message: '(#17) User request limit reached',
  type: 'OAuthException',
  code: 17,
  error_subcode: 2446079,
  is_transient: true,
};
const unsupported = (id: string): GraphErrorBody => ({
  message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
  type: 'GraphMethodException',
  code: 100,
  error_subcode: 33,
});

// "Monday, 23-Nov-15 14:00:00 PST", as in Facebook's expiry message.
const PACIFIC = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/Los_Angeles',
  weekday: 'long',
  day: '2-digit',
  month: 'short',
  year: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
});
function sessionTime(date: Date): string {
  const p = Object.fromEntries(PACIFIC.formatToParts(date).map((part) => [part.type, part.value]));
  return `${p.weekday}, ${p.day}-${p.month}-${p.year} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

/** Graph API time format: 2021-04-30T01:37:07+0000 */
const graphTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, '+0000');
const cursor = (index: number) => Buffer.from(String(index)).toString('base64');

/** Splits `a,b.summary(x).limit(0),c{d,e}` at its top-level commas. */
function splitFields(fields: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of fields) {
    if (ch === '(' || ch === '{') depth++;
    if (ch === ')' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((f) => f.trim()).filter(Boolean);
}

function renderPost(post: FakePost, id: string, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id }; // the Graph API always returns a node's id
  for (const field of fields) {
    const name = field.split(/[.{(]/, 1)[0];
    if (name === 'created_time') out.created_time = graphTime(post.createdTime);
    else if (name === 'message' && post.message !== undefined) out.message = post.message;
    else if (name === 'reactions' || name === 'comments') {
      // Individual reactions/comments (with people's names) are not kept: only the summary is served.
      const edge: Record<string, unknown> = { data: [] };
      if (/\.summary\((true|total_count)\)/.test(field))
        edge.summary = { total_count: name === 'reactions' ? post.reactions : post.comments };
      out[name] = edge;
    }
  }
  return out;
}

export async function startFakeFacebook(options: { pageSize?: number; appSecret?: string } = {}): Promise<FakeFacebook> {
  const pageSize = options.pageSize ?? 100; // the most Facebook gives per page
  const accounts = new Map<string, Account>();
  const requests: FakeFacebook['requests'] = [];
  let mode: FakeFacebookMode = 'ok';
  let baseUrl = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, error: GraphErrorBody) => {
    const headers: Record<string, string> =
      error.code === 190 ? { 'www-authenticate': `OAuth "Facebook Platform" "invalid_token" "${error.message}"` } : {};
    send(res, status, { error: { ...error, fbtrace_id: randomBytes(17).toString('base64url') } }, headers);
  };

  function postsPage(account: Account, path: string, q: Record<string, string>): Record<string, unknown> {
    const bound = (value: string | undefined, otherwise: number) =>
      value !== undefined && Number.isFinite(Number(value)) ? Number(value) : otherwise;
    const since = bound(q.since, -Infinity); // unix seconds, both ends inclusive
    const until = bound(q.until, Infinity);
    const posts = account.posts
      .map((post, i) => ({ post, id: `${account.userId}_${i + 1}` }))
      .filter(({ post }) => post.createdTime.getTime() / 1000 >= since && post.createdTime.getTime() / 1000 <= until)
      .sort((a, b) => b.post.createdTime.getTime() - a.post.createdTime.getTime()); // newest first
    const limit = Math.min(Number(q.limit) > 0 ? Math.floor(Number(q.limit)) : 25, pageSize);
    const after = q.after !== undefined ? Number(Buffer.from(q.after, 'base64').toString()) : -1;
    const start = Number.isInteger(after) ? after + 1 : posts.length;
    const page = posts.slice(start, start + limit);
    const fields = splitFields(q.fields ?? 'created_time,message');
    const body: Record<string, unknown> = { data: page.map(({ post, id }) => renderPost(post, id, fields)) };
    if (page.length === 0) return body;
    const last = start + page.length - 1;
    const paging: Record<string, unknown> = { cursors: { before: cursor(start), after: cursor(last) } };
    if (last + 1 < posts.length) {
      // Like Facebook's: absolute, on the user id rather than "me", carrying the query (token too).
      const next = new URL(path.replace(/\/me\/posts$/, `/${account.userId}/posts`), baseUrl);
      for (const [key, value] of Object.entries(q)) if (key !== 'after' && key !== 'appsecret_proof') next.searchParams.set(key, value);
      next.searchParams.set('after', cursor(last));
      paging.next = next.href;
    }
    body.paging = paging;
    return body;
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = Object.fromEntries(url.searchParams);
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: q.access_token === undefined ? { ...q } : { ...q, access_token: '***' },
    });
    if (mode === 'slow') return; // answers never; close() drops the connection
    if (mode === 'down') return fail(res, 500, DOWN);
    const token = q.access_token;
    if (!token) return fail(res, 400, NO_TOKEN);
    const account = accounts.get(token);
    if (!account) return fail(res, 400, INVALID_TOKEN);
    if (account.expiredAt) {
      return fail(res, 400, {
        message: `Error validating access token: Session has expired on ${sessionTime(account.expiredAt)}. The current time is ${sessionTime(new Date())}.`,
        type: 'OAuthException',
        code: 190,
        error_subcode: 463,
      });
    }
    const proof = q.appsecret_proof;
    if (options.appSecret && proof !== undefined && proof !== createHmac('sha256', options.appSecret).update(token).digest('hex')) {
      return fail(res, 400, BAD_PROOF);
    }
    if (mode === 'rate_limited') return fail(res, 400, USER_LIMIT);
    const route = /^\/v\d+\.\d+\/([^/]+)(\/posts)?$/.exec(url.pathname);
    if (req.method !== 'GET' || !route || (route[1] !== 'me' && route[1] !== account.userId)) {
      return fail(res, 400, unsupported(route?.[1] ?? url.pathname));
    }
    if (route[2]) return send(res, 200, postsPage(account, url.pathname, q));
    const fields = splitFields(q.fields ?? 'id,name');
    return send(res, 200, fields.includes('name') ? { id: account.userId, name: account.name } : { id: account.userId });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed: Promise<void> | undefined;

  return {
    url: baseUrl,
    requests,
    addAccount({ token, userId, posts = [], name = 'Fake User' }) {
      accounts.set(token, { token, userId, name, posts: [...posts] });
    },
    expireToken(token) {
      const account = accounts.get(token);
      if (!account) throw new Error('expireToken: no such account');
      account.expiredAt = new Date(Date.now() - 1000);
    },
    setMode(next) {
      mode = next;
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // includes requests held by 'slow'
      });
      return closed;
    },
  };
}
