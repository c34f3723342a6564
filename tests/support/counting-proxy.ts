import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  url: string;
  /** The GraphQL bodies the service received through this proxy. */
  bodies: string[];
  delayMs: number;
  close(): void;
}

/** Forwards to a service after `delayMs`, recording each body. */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const proxy: CountingProxy = { url: '', bodies: [], delayMs: 0, close: () => server.close() };
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    proxy.bodies.push(body);
    await new Promise((r) => setTimeout(r, proxy.delayMs));
    const upstream = httpRequest(new URL(req.url!, target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
