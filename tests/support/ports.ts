import { createServer } from 'node:net';

/** A port nothing listens on: bound on 127.0.0.1 and released at once (for a service to start on, or to refuse connections). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
