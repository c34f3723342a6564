import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { SubgraphClient } from '../src/subgraph-client.js';

const closers: (() => unknown)[] = [];
afterAll(() => {
  for (const close of closers) close();
});

/** A subgraph on 127.0.0.1 that answers each request after `delayMs`, counting them. */
async function slowSubgraph(delayMs: number, respond = (res: ServerResponse, _body: string) => res.end('{"data":{}}')) {
  const seen: string[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push(body);
    setTimeout(() => respond(res, body), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

describe('SubgraphClient', () => {
  it('sends identical shared calls in flight together once, and each caller gets the answer', async () => {
    const { seen, url } = await slowSubgraph(100);
    const client = new SubgraphClient(url, { timeoutMs: 5_000 });
    closers.push(() => client.close());
    const body = JSON.stringify({ query: '{ products { id } }' });
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.post({ 'content-type': 'application/json' }, body, body)));
    expect(seen).toHaveLength(1);
    expect(answers.map((a) => a.body)).toEqual(Array(10).fill('{"data":{}}'));
    // Once answered, the next call is sent again: nothing is kept beyond the flight.
    await client.post({}, body, body);
    expect(seen).toHaveLength(2);
  });

  it('sends calls without a shared key each on their own', async () => {
    const { seen, url } = await slowSubgraph(20);
    const client = new SubgraphClient(url, { timeoutMs: 5_000 });
    closers.push(() => client.close());
    await Promise.all(Array.from({ length: 5 }, () => client.post({}, '{"query":"mutation { x }"}')));
    expect(seen).toHaveLength(5);
  });

  it('fails a call that outlives its time limit with a TimeoutError', async () => {
    const { url } = await slowSubgraph(2_000);
    const client = new SubgraphClient(url, { timeoutMs: 200 });
    closers.push(() => client.close());
    await expect(client.post({}, '{}')).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('reports a refused connection with its code', async () => {
    const client = new SubgraphClient('http://127.0.0.1:1/graphql', { timeoutMs: 2_000 });
    closers.push(() => client.close());
    await expect(client.post({}, '{}')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
