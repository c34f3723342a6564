import { createHash } from 'node:crypto';

/**
 * A number in [0, 1) drawn from the seed and a purpose ("angle:NEAR", "text:node-1"). Each draw
 * is its own hash, not a step of one generator, so adding a node never changes another node's draws.
 */
export function seededRandom(seed: string, ...purpose: string[]): number {
  const digest = createHash('sha256').update(seed).update('\u0000').update(purpose.join('\u0000')).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}
