/**
 * An echo server in a process of its own, for bench/host-speed.ts (a wake-up crosses processes,
 * as the platform's hops do). Prints one JSON line with its port when listening.
 */
import { createServer } from 'node:net';

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.pipe(socket);
}).listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
