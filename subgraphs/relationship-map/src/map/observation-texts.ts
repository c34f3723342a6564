import type { Distance } from '../entities/index.js';
import { seededRandom } from './seeded-random.js';

/** Seed 004's observation-text templates (GET /map/observation-text), one list per ring. */
export const OBSERVATION_TEXT_TEMPLATES: Readonly<Record<Distance, readonly string[]>> = {
  NEAR: ['最近、目にすることが多かった', '考えが残りやすい', '無言でも違和感はない'],
  MID: ['反応は少なめ', 'でも存在感はある', '距離は安定している'],
  FAR: ['会話は生まれていない', '少し気を使う', '存在感はある'],
};

/** Two different phrases of the node's ring, in a seeded order, each closed with 。 (as the seed's example). */
export function observationText(distance: Distance, seed: string, nodeId: string): string {
  const phrases = OBSERVATION_TEXT_TEMPLATES[distance];
  const first = Math.floor(seededRandom(seed, 'text-1', nodeId) * phrases.length);
  const step = 1 + Math.floor(seededRandom(seed, 'text-2', nodeId) * (phrases.length - 1));
  const second = (first + step) % phrases.length;
  return `${phrases[first]}。${phrases[second]}。`;
}
