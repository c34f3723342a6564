import { createHmac } from 'node:crypto';
import { z } from 'zod';
import {
  type FacebookActivity,
  type FacebookClient,
  type FacebookErrorDetails,
  FacebookTokenError,
  FacebookUnavailableError,
} from './facebook-client.js';

export interface GraphApiFacebookClientOptions {
  /** Where the Graph API is, e.g. https://graph.facebook.com (FACEBOOK_GRAPH_URL). The token is sent nowhere else. */
  baseUrl: string;
  /** Default 'v21.0'. */
  apiVersion?: string;
  /** Default 5000: one time limit for the whole call, every page included. */
  timeoutMs?: number;
  /** When set, every call carries appsecret_proof (HMAC-SHA256 of the token keyed by the app secret, hex). */
  appSecret?: string;
  /**
   * Default 20 (with 100 posts a page: 2000 posts). An answer that goes on longer fails with
   * FacebookUnavailableError rather than returning a partial count: a count cut short would
   * be reported as a level that is too low, and the map must not claim what it did not see.
   */
  maxPages?: number;
}

/** The only fields ever requested for posts: times and totals, never message, story, names or ids of people. */
export const POST_FIELDS = 'created_time,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)';
const PAGE_LIMIT = 100; // the most the Graph API gives per page of an edge

const graphErrorSchema = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().int().optional(),
    error_subcode: z.number().int().optional(),
    is_transient: z.boolean().optional(),
    fbtrace_id: z.string().optional(),
  }),
});
export type GraphError = z.infer<typeof graphErrorSchema>['error'];

const meSchema = z.object({ id: z.string().min(1).max(128) });
// Graph API times look like 2021-04-30T01:37:07+0000.
const graphTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/)
  .transform((s) => Date.parse(s))
  .refine((ms) => Number.isFinite(ms));
const edgeTotal = z.object({ summary: z.object({ total_count: z.number().int().nonnegative() }) });
const postsPageSchema = z.object({
  // An edge with nothing on it may be left out of a post: that is zero, not a malformed answer.
  data: z.array(z.object({ created_time: graphTime, reactions: edgeTotal.optional(), comments: edgeTotal.optional() })),
  paging: z.object({ next: z.string().optional() }).optional(),
});

/** Facebook's "wait and retry" codes: 1/2 unknown/service, 4/17/32/341/613 throttling, 368 temporary block. */
const RETRY_LATER_CODES = new Set([1, 2, 4, 17, 32, 341, 368, 613]);
const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613]);
/** OAuthException subcodes: the session behind the token is gone, so the user has to log in again. */
const SESSION_SUBCODES: Record<number, string> = {
  458: 'the user has not installed the app',
  459: 'the user is checkpointed',
  460: 'the password was changed',
  463: 'it has expired',
  464: 'the user is not confirmed',
  467: 'it is no longer valid',
};

/** Token errors send the user to connect again; everything else is Facebook (or our configuration) failing. */
export function classifyGraphError(httpStatus: number, error: GraphError): 'token' | 'unavailable' {
  const { code, error_subcode: subcode } = error;
  if (error.is_transient === true || (code !== undefined && RETRY_LATER_CODES.has(code)) || httpStatus >= 500) return 'unavailable';
  if (code === 190 || code === 102 || code === 10 || (code !== undefined && code >= 200 && code <= 299)) return 'token';
  if (subcode !== undefined && subcode in SESSION_SUBCODES) return 'token';
  // An OAuthException without a known code means the token expired, was revoked or is invalid.
  // Code 100 (invalid parameter, e.g. a wrong appsecret_proof) is ours to fix, not the user's.
  if (error.type === 'OAuthException' && code !== 100) return 'token';
  return 'unavailable';
}

function toError(httpStatus: number, error: GraphError): Error {
  const { code, error_subcode: subcode } = error;
  const details: FacebookErrorDetails = { facebookCode: code, facebookSubcode: subcode, fbtraceId: error.fbtrace_id, httpStatus };
  // Facebook's own message is left out: some echo the token back ("Malformed access token EAA...").
  const codes = `HTTP ${httpStatus}, code ${code ?? 'none'}${subcode !== undefined ? `, subcode ${subcode}` : ''}`;
  if (classifyGraphError(httpStatus, error) === 'token') {
    const why =
      (subcode !== undefined ? SESSION_SUBCODES[subcode] : undefined) ??
      (code === 10 || (code !== undefined && code >= 200 && code <= 299)
        ? 'it lacks a required permission'
        : 'it is invalid, expired or revoked');
    return new FacebookTokenError(`Facebook rejected the access token: ${why} (${codes})`, details);
  }
  const why =
    code !== undefined && RATE_LIMIT_CODES.has(code)
      ? 'Facebook is rate limiting requests'
      : httpStatus >= 500 || error.is_transient === true || (code !== undefined && RETRY_LATER_CODES.has(code))
        ? 'Facebook is temporarily unavailable'
        : 'Facebook refused the request';
  return new FacebookUnavailableError(`${why} (${codes})`, details);
}

/** A copy of a network error with the token scrubbed out, keeping `code` (ECONNREFUSED, ...) for isUnavailableError. */
function scrubbedCause(err: unknown, token: string, depth = 0): Error | undefined {
  if (!(err instanceof Error) || depth > 3) return undefined;
  const scrub = (text: string) => text.split(token).join('***').split(encodeURIComponent(token)).join('***');
  const copy = new Error(scrub(err.message), { cause: scrubbedCause(err.cause, token, depth + 1) });
  copy.name = err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code });
  return copy;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new FacebookUnavailableError("Facebook's answer was malformed");
  return result.data;
}

export class GraphApiFacebookClient implements FacebookClient {
  private readonly base: URL;
  private readonly apiVersion: string;
  private readonly timeoutMs: number;
  private readonly appSecret: string | undefined;
  private readonly maxPages: number;

  constructor(options: GraphApiFacebookClientOptions) {
    this.base = new URL(options.baseUrl);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:')
      throw new Error('GraphApiFacebookClient: baseUrl must be an http(s) URL');
    this.apiVersion = options.apiVersion ?? 'v21.0';
    if (!/^v\d+\.\d+$/.test(this.apiVersion)) throw new Error('GraphApiFacebookClient: apiVersion must look like v21.0');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxPages = options.maxPages ?? 20;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs <= 0)
      throw new Error('GraphApiFacebookClient: timeoutMs must be a positive integer');
    if (!Number.isInteger(this.maxPages) || this.maxPages <= 0)
      throw new Error('GraphApiFacebookClient: maxPages must be a positive integer');
    this.appSecret = options.appSecret || undefined;
  }

  async verifyToken(accessToken: string): Promise<{ facebookUserId: string }> {
    assertToken(accessToken);
    const signal = AbortSignal.timeout(this.timeoutMs);
    const me = parse(meSchema, await this.get(this.url('me', { fields: 'id' }), accessToken, signal));
    return { facebookUserId: me.id };
  }

  async countActivity(accessToken: string, window: { since: Date; until: Date }): Promise<FacebookActivity> {
    assertToken(accessToken);
    const since = window.since.getTime();
    const until = window.until.getTime();
    if (!Number.isFinite(since) || !Number.isFinite(until) || since >= until)
      throw new RangeError('countActivity: window must have since < until');
    const signal = AbortSignal.timeout(this.timeoutMs); // one limit for every page
    const total: FacebookActivity = { posts: 0, reactions: 0, comments: 0 };
    // since/until are whole seconds on the wire: ask for a little more, then keep exactly [since, until).
    let url: URL | undefined = this.url('me/posts', {
      fields: POST_FIELDS,
      since: String(Math.floor(since / 1000)),
      until: String(Math.ceil(until / 1000)),
      limit: String(PAGE_LIMIT),
    });
    for (let page = 1; url; page++) {
      if (page > this.maxPages) throw new FacebookUnavailableError(`Facebook's answer did not end within ${this.maxPages} pages`);
      const body = parse(postsPageSchema, await this.get(url, accessToken, signal));
      for (const post of body.data) {
        if (post.created_time < since || post.created_time >= until) continue;
        total.posts += 1;
        total.reactions += post.reactions?.summary.total_count ?? 0;
        total.comments += post.comments?.summary.total_count ?? 0;
      }
      url = this.nextPage(body.paging?.next);
    }
    return total;
  }

  private url(path: string, params: Record<string, string>): URL {
    const url = new URL(`${this.base.pathname.replace(/\/$/, '')}/${this.apiVersion}/${path}`, this.base.origin);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url;
  }

  private nextPage(next: string | undefined): URL | undefined {
    if (next === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(next);
    } catch {
      throw new FacebookUnavailableError("Facebook's paging link was malformed"); // no cause: the link may hold the token
    }
    // The token goes only where baseUrl points: a link elsewhere is refused, never followed.
    if (url.origin !== this.base.origin)
      throw new FacebookUnavailableError("Facebook's paging link pointed to another origin; it was not followed");
    url.searchParams.set('fields', POST_FIELDS); // whatever the link asks for, ask only for counts
    return url;
  }

  private async get(url: URL, accessToken: string, signal: AbortSignal): Promise<unknown> {
    url.searchParams.set('access_token', accessToken);
    if (this.appSecret) url.searchParams.set('appsecret_proof', createHmac('sha256', this.appSecret).update(accessToken).digest('hex'));
    let response: Response;
    let text: string;
    try {
      // redirect 'error': a redirect would carry the token in the URL to wherever it points.
      response = await fetch(url, { signal, redirect: 'error', headers: { accept: 'application/json' } });
      text = await response.text();
    } catch (err) {
      if (signal.aborted || (err as Error | undefined)?.name === 'TimeoutError') {
        throw new FacebookUnavailableError(`Facebook did not answer within ${this.timeoutMs} ms`);
      }
      throw new FacebookUnavailableError('Could not reach Facebook', {}, { cause: scrubbedCause(err, accessToken) });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const graphError = graphErrorSchema.safeParse(body);
    if (graphError.success) throw toError(response.status, graphError.data.error);
    if (!response.ok)
      throw new FacebookUnavailableError(`Facebook answered HTTP ${response.status} without a Graph API error`, {
        httpStatus: response.status,
      });
    if (body === undefined) throw new FacebookUnavailableError("Facebook's answer was not JSON", { httpStatus: response.status });
    return body;
  }
}

function assertToken(accessToken: string): void {
  // Nothing to ask Facebook about: the same outcome as a token Facebook cannot parse.
  if (typeof accessToken !== 'string' || accessToken.trim() === '') throw new FacebookTokenError('The access token is empty');
}
