/**
 * An HTTP proxy in front of one service that can be made slow: a subgraph whose answers take
 * `delayMs` longer (a long GC pause, a saturated host, a slow network), without touching it.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowProxy {
  url: string;
  /** Added before each answer is passed on; 0 passes straight through. */
  delayMs: number;
  /**
   * Answer 503 SERVICE_UNAVAILABLE itself, as a subgraph whose own dependency is down does
   * (its token check unable to reach Redis, say), instead of passing the request on.
   */
  unavailable: boolean;
  close(): Promise<void>;
}

export async function startSlowProxy(target: string): Promise<SlowProxy> {
  const upstream = new URL(target);
  const proxy: SlowProxy = { url: '', delayMs: 0, unavailable: false, close: async () => {} };
  const server: Server = createServer((req, res) => {
    if (proxy.unavailable) {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
      res.end(
        JSON.stringify({
          errors: [{ message: 'Service temporarily unavailable', extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 } }],
        }),
      );
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        const pass = () => {
          if (res.destroyed) return answer.resume();
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        if (proxy.delayMs > 0) setTimeout(pass, proxy.delayMs).unref();
        else pass();
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
