import { Pool } from 'undici';

/** What a subgraph answered: status, headers (lower-case names) and the body as text. */
export interface SubgraphAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SubgraphClientOptions {
  /** Limit on each exchange, body included: past it the call fails with a TimeoutError. */
  timeoutMs: number;
  /** Sockets kept open to the subgraph. Default 64. */
  connections?: number;
}

/**
 * HTTP to one subgraph over undici's own Pool: kept-alive sockets and a plain request/response,
 * without fetch's Request/Response and web-stream layers (a quarter of the gateway's CPU when it
 * used fetch). A time limit covers each whole exchange, so a subgraph that stops answering fails
 * its calls (SERVICE_UNAVAILABLE to the client) and the calls to other subgraphs go on.
 *
 * `shared` calls with the same key while one is in flight wait for that one's answer instead of
 * sending their own: for reads whose answer does not depend on who asks (ForwardingDataSource
 * decides which). Each caller gets the same text and parses its own copy.
 */
export class SubgraphClient {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly inflight = new Map<string, Promise<SubgraphAnswer>>();

  constructor(
    readonly url: string,
    private readonly options: SubgraphClientOptions,
  ) {
    const parsed = new URL(url);
    this.path = `${parsed.pathname}${parsed.search}`;
    this.pool = new Pool(parsed.origin, { connections: options.connections ?? 64 });
  }

  post(headers: Record<string, string>, body: string, sharedKey?: string): Promise<SubgraphAnswer> {
    if (sharedKey === undefined) return this.send(headers, body);
    let answer = this.inflight.get(sharedKey);
    if (!answer) {
      answer = this.send(headers, body).finally(() => this.inflight.delete(sharedKey));
      this.inflight.set(sharedKey, answer);
    }
    return answer;
  }

  private async send(headers: Record<string, string>, body: string): Promise<SubgraphAnswer> {
    // A timer cleared once the answer is in, not AbortSignal.timeout: that one fires after every
    // call, answered or not, and makes an error each time (~1% of the gateway's CPU).
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      this.options.timeoutMs,
    );
    const { signal } = controller;
    try {
      const response = await this.pool.request({ path: this.path, method: 'POST', headers, body, signal });
      return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
    } catch (err) {
      // The time limit's own TimeoutError, which callers (and isUnavailableError) recognise.
      if (signal.aborted) throw signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
