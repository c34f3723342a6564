import { connect } from 'node:net';

/** One MONITOR line's command: `+1712.5 [0 127.0.0.1:5000] "del" "profile:1"` -> ['del', 'profile:1']. */
function commandOf(line: string): string[] {
  const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, '$1'));
  return args.length ? [args[0].toLowerCase(), ...args.slice(1)] : [];
}

/** A command in RESP (an array of bulk strings), whatever its arguments hold. */
const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/**
 * Every Redis command the server ran while `during` ran, as [command, ...args] (lower-case
 * command), read with MONITOR on a plain socket of its own. ioredis's `monitor()` enters its
 * monitoring mode only a microtask after MONITOR's OK, so monitor lines that arrive in the same
 * read as the OK (a busy server) reach its command queue and it throws "Command queue state error".
 */
export async function redisCommandsDuring(redisUrl: string, during: () => Promise<unknown>): Promise<string[][]> {
  const url = new URL(redisUrl);
  const socket = connect(Number(url.port || 6379), url.hostname);
  const seen: string[][] = [];
  let buffered = '';
  const password = decodeURIComponent(url.password);
  // MONITOR is on once its own OK is in, the last of the replies: AUTH's comes first.
  let oksBeforeMonitoring = password ? 2 : 1;
  let started!: () => void;
  const ok = new Promise<void>((resolve, reject) => {
    started = resolve;
    socket.once('error', reject);
  });
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\r\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('-')) socket.destroy(new Error(`Redis refused MONITOR: ${line.slice(1)}`));
      else if (oksBeforeMonitoring > 0 && line === '+OK') {
        if (--oksBeforeMonitoring === 0) started();
      } else if (line.startsWith('+')) seen.push(commandOf(line));
    }
  });
  if (password) socket.write(url.username ? resp('AUTH', decodeURIComponent(url.username), password) : resp('AUTH', password));
  socket.write(resp('MONITOR'));
  try {
    await ok;
    await during();
    // MONITOR streams what the server ran; give the last lines a moment to arrive.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    socket.destroy();
  }
  return seen;
}
