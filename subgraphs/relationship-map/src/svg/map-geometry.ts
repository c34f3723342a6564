/** Which ring a node sits on. */
export type Distance = 'NEAR' | 'MID' | 'FAR';

export const DISTANCES: readonly Distance[] = ['NEAR', 'MID', 'FAR'];

/**
 * The canvas the subgraph places nodes on and the picture draws: the user at the centre, one
 * ring per distance. Node positions are in these units.
 */
export const MAP_CANVAS = {
  width: 400,
  height: 400,
  centre: { x: 200, y: 200 },
  ringRadius: { NEAR: 70, MID: 125, FAR: 180 },
  nodeRadius: 14,
} as const;

/**
 * One colour per distance: warm near, neutral mid, cool far. Each keeps at least 3:1 contrast
 * against the light background (WCAG 1.4.11 for graphical objects).
 */
export const DISTANCE_COLORS = {
  NEAR: '#d9694c',
  MID: '#928b84',
  FAR: '#4f7fc4',
} as const satisfies Record<Distance, `#${string}`>;
