import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { percentile, round1 } from './fixtures.js';
import { startChild } from './lib.js';

/**
 * How fast this machine is at the moment, to compare one run's figures with another's: on a VM
 * the same code on the same machine ran the saga at 4.6-6.1 ms of platform CPU per order in one
 * part of an hour and 6.8 ms in another (its neighbours on the host), and the saga's tail with it. Two probes, each
 * the median of TRIES tries, run with nothing else of the bench's running:
 * - `computeMs`: a fixed JavaScript workload (SHA-256 of 1 KiB, JSON round trips), ms;
 * - `roundTripUs`: one byte to another process over loopback TCP and back, µs: what every hop of a
 *   request or of an order's saga pays to wake the process it talks to.
 */
export interface HostSpeed {
  computeMs: number;
  roundTripUs: number;
}

const TRIES = 5;
const HASHES = 20_000;
const JSON_ROUNDS = 2_000;
const ROUND_TRIPS = 2_000;

export async function hostSpeed(): Promise<HostSpeed> {
  const computeMs = median(Array.from({ length: TRIES }, computeOnce));
  const echo = await startChild<{ port: number }>('./echo-process.ts');
  try {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(echo.port, '127.0.0.1', () => resolve(s)).once('error', reject);
    });
    socket.setNoDelay(true);
    const tries: number[] = [];
    for (let i = 0; i < TRIES; i++) tries.push(await roundTripOnce(socket));
    socket.destroy();
    return { computeMs: round1(computeMs), roundTripUs: Math.round(median(tries)) };
  } finally {
    await echo.stop();
  }
}

export const formatHostSpeed = (speed: HostSpeed) => `compute ${speed.computeMs} ms, loopback round trip ${speed.roundTripUs} µs`;

const PAYLOAD = Buffer.alloc(1024, 7);
const DOCUMENT = {
  order: { id: '00000000-0000-4000-8000-000000000000', status: 'CONFIRMED', version: 4 },
  lines: Array.from({ length: 20 }, (_, i) => ({ productId: `p${i}`, quantity: i, unitPrice: `${i}.50` })),
};

function computeOnce(): number {
  const started = performance.now();
  let digest = '';
  for (let i = 0; i < HASHES; i++) digest = createHash('sha256').update(PAYLOAD).digest('hex');
  let size = digest.length;
  for (let i = 0; i < JSON_ROUNDS; i++) size += (JSON.parse(JSON.stringify(DOCUMENT)) as typeof DOCUMENT).lines.length;
  if (size === 0) throw new Error('unreachable: keeps the work from being optimised away');
  return performance.now() - started;
}

/** µs per round trip, over ROUND_TRIPS one-byte round trips one after another. */
async function roundTripOnce(socket: Socket): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) {
    await new Promise<void>((resolve) => {
      socket.once('data', () => resolve());
      socket.write('x');
    });
  }
  return ((performance.now() - started) * 1000) / ROUND_TRIPS;
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
