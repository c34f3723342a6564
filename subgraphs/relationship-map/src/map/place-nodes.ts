import type { Distance, MapBasis, StoredMapNode } from '../entities/index.js';
import { DISTANCE_COLORS, MAP_CANVAS } from '../svg/map-geometry.js';
import { observationText } from './observation-texts.js';
import { seededRandom } from './seeded-random.js';

/** What placement needs of the signals: the overall activity level. */
export type ActivityLevel = 'LOW' | 'MODERATE' | 'HIGH';

export interface NodeRequest {
  id: string;
  label: string;
  customLabel: string | null;
  userHint: Distance | null;
}

/**
 * How likely an unhinted node is to land on each ring, by the user's overall Facebook activity.
 * Facebook gives only aggregate levels of the user's own activity (never who they talk to), so
 * the signals cannot place a particular person: they set how close the unhinted people tend to be.
 */
export const SIGNAL_RING_WEIGHTS: Readonly<Record<ActivityLevel, Readonly<Record<Distance, number>>>> = {
  HIGH: { NEAR: 0.5, MID: 0.3, FAR: 0.2 },
  MODERATE: { NEAR: 0.3, MID: 0.45, FAR: 0.25 },
  LOW: { NEAR: 0.15, MID: 0.35, FAR: 0.5 },
};

/** Largest radial jitter (px) and angular jitter (share of the gap between neighbours). */
export const JITTER = { radius: 8, angleShare: 0.25 } as const;

const RINGS: Distance[] = ['NEAR', 'MID', 'FAR'];
const round1 = (v: number) => Math.round(v * 10) / 10;

function distanceFromSignals(signals: { activityVolume: ActivityLevel }, seed: string, nodeId: string): Distance {
  const weights = SIGNAL_RING_WEIGHTS[signals.activityVolume];
  let draw = seededRandom(seed, 'distance', nodeId);
  for (const ring of RINGS) {
    if (draw < weights[ring]) return ring;
    draw -= weights[ring];
  }
  return 'FAR';
}

/**
 * Places the nodes: each on the ring of its hint, else of the signals, else MID; the nodes of a
 * ring evenly spread from a seeded starting angle, then moved by seeded jitter when enabled.
 * Pure: the same nodes, signals and seed always give the same map.
 */
export function placeNodes(
  nodes: NodeRequest[],
  options: { seed: string; jitter: boolean; signals: { activityVolume: ActivityLevel } | null },
): { nodes: StoredMapNode[]; basis: MapBasis } {
  const { seed, jitter, signals } = options;
  const sources = nodes.map((n) => (n.userHint ? 'hint' : signals ? 'signals' : 'default'));
  const distances = nodes.map((n): Distance => n.userHint ?? (signals ? distanceFromSignals(signals, seed, n.id) : 'MID'));

  const { centre, ringRadius } = MAP_CANVAS;
  const placed = nodes.map((node, i): StoredMapNode => {
    const distance = distances[i];
    const ring = nodes.map((_, j) => j).filter((j) => distances[j] === distance);
    const slot = ring.indexOf(i);
    const gap = (2 * Math.PI) / ring.length;
    let angle = seededRandom(seed, 'ring-start', distance) * 2 * Math.PI + slot * gap;
    let radius: number = ringRadius[distance];
    if (jitter) {
      angle += (seededRandom(seed, 'jitter-angle', node.id) * 2 - 1) * gap * JITTER.angleShare;
      radius += (seededRandom(seed, 'jitter-radius', node.id) * 2 - 1) * JITTER.radius;
    }
    return {
      id: node.id,
      label: node.label,
      customLabel: node.customLabel,
      position: { x: round1(centre.x + radius * Math.cos(angle)), y: round1(centre.y + radius * Math.sin(angle)), distance },
      color: DISTANCE_COLORS[distance],
      observationText: observationText(distance, seed, node.id),
    };
  });
  return {
    nodes: placed,
    basis: { facebookSignals: sources.includes('signals'), userHints: sources.includes('hint'), randomJitter: jitter && nodes.length > 0 },
  };
}
