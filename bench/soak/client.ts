/**
 * HTTP for the soak: one keep-alive agent (a bounded number of sockets, destroyed at the end so
 * the platform's count of client sockets can go back to zero), every request with a time limit,
 * every answer counted in Stats as served, an expected error, or an unexpected one by its code.
 */
import http from 'node:http';
import type { Stats } from './stats.js';

export class SoakError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface HttpAnswer {
  status: number;
  body: any;
}

export class HttpClient {
  readonly agent: http.Agent;
  constructor(
    readonly base: string,
    /** Where answers are counted (the soak switches it from warm-up to load). */
    public stats: Stats,
    maxSockets: number,
    private readonly timeoutMs = 20_000,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** One request; rejects only for transport failures (reset, refused, timeout). */
  raw(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string>; agent?: http.Agent | false } = {},
  ): Promise<HttpAnswer> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${this.base}${path}`,
        {
          method,
          agent: options.agent === undefined ? this.agent : options.agent,
          headers: {
            accept: 'application/json',
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
            ...options.headers,
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: any = text;
            if ((res.headers['content-type'] ?? '').includes('json') && text) {
              try {
                body = JSON.parse(text);
              } catch {
                return reject(new SoakError('BAD_JSON', `${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
              }
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
          res.on('error', (err) => reject(new SoakError((err as NodeJS.ErrnoException).code ?? 'NETWORK', err.message)));
        },
      );
      req.on('timeout', () => req.destroy(new SoakError('TIMEOUT', `${method} ${path}: no answer in ${this.timeoutMs} ms`)));
      req.on('error', (err) =>
        reject(err instanceof SoakError ? err : new SoakError((err as NodeJS.ErrnoException).code ?? 'NETWORK', err.message)),
      );
      req.end(payload);
    });
  }

  /**
   * A GraphQL operation counted under `kind`. Resolves with `data` when it succeeded, or with
   * undefined when it failed with one of `expected` codes (counted as served, an expected error);
   * anything else is counted as an unexpected error and thrown.
   */
  async gql<T = any>(
    kind: string,
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    expected: string[] = [],
  ): Promise<T | undefined> {
    const t0 = performance.now();
    let answer: HttpAnswer;
    try {
      answer = await this.raw('POST', '/graphql', { body: { query, variables }, token });
    } catch (err) {
      const code = err instanceof SoakError ? err.code : 'NETWORK';
      this.stats.error(kind, code, (err as Error).message);
      throw err;
    }
    const ms = performance.now() - t0;
    const errors = typeof answer.body === 'object' ? answer.body?.errors : undefined;
    if (answer.status === 200 && !errors?.length && answer.body?.data) {
      this.stats.ok(kind, ms);
      return answer.body.data as T;
    }
    const code = String(errors?.[0]?.extensions?.code ?? `HTTP_${answer.status}`);
    if (expected.includes(code)) {
      this.stats.expectedError(kind, code, ms);
      return undefined;
    }
    this.stats.error(kind, code, JSON.stringify(answer.body));
    throw new SoakError(code, `${kind}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  }

  /**
   * A REST call counted under `kind`: the status `ok` is a success; an answer whose status is in
   * `expected` is an expected error; anything else an unexpected one (code: status and body code).
   */
  async rest<T = any>(
    kind: string,
    method: string,
    path: string,
    options: { body?: unknown; token?: string; ok: number; expected?: number[] },
  ): Promise<T | undefined> {
    const t0 = performance.now();
    let answer: HttpAnswer;
    try {
      answer = await this.raw(method, path, { body: options.body, token: options.token });
    } catch (err) {
      const code = err instanceof SoakError ? err.code : 'NETWORK';
      this.stats.error(kind, code, (err as Error).message);
      throw err;
    }
    const ms = performance.now() - t0;
    if (answer.status === options.ok) {
      this.stats.ok(kind, ms);
      return answer.body as T;
    }
    const code = `${answer.status} ${typeof answer.body === 'object' ? (answer.body?.code ?? '') : ''}`.trim();
    if (options.expected?.includes(answer.status)) {
      this.stats.expectedError(kind, code, ms);
      return undefined;
    }
    this.stats.error(kind, code, typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    throw new SoakError(code, `${kind}: ${answer.status}`);
  }

  close() {
    this.agent.destroy();
  }
}
