import type { Distance } from './map-geometry.js';

export type DisplayMode = 'MINIMAL' | 'LABEL_EMPHASIS';

/** Noto first: it is what the servers and CI have; the rest are what Japanese desktops ship. */
export const MAP_FONT_FAMILY =
  "'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Yu Gothic', Meiryo, sans-serif";

export const MAP_PALETTE = {
  paper: '#fbf8f3',
  // The rings' disc fades from a warm blush at the user to a cool edge, echoing near / far.
  discInner: '#fcebe3',
  discMiddle: '#f7f2ec',
  discOuter: '#edf1f7',
  ringStroke: '#cfc4b6',
  ringName: '#a1968a',
  user: '#3d405b',
  caption: '#8a8178',
  nodeStroke: '#ffffff',
} as const;

export const RING_NAMES: Record<Distance, string> = { NEAR: '近い', MID: 'ふつう', FAR: '遠い' };

export interface LabelStyle {
  fontSize: number;
  fontWeight: number;
  fill: string;
  haloWidth: number;
  maxWidth: number;
}

/** LABEL_EMPHASIS: large bold labels on a halo so they read over rings; MINIMAL: small and quiet. */
export const LABEL_STYLES: Record<DisplayMode, LabelStyle> = {
  MINIMAL: { fontSize: 11, fontWeight: 400, fill: '#6b625a', haloWidth: 2.5, maxWidth: 96 },
  LABEL_EMPHASIS: { fontSize: 14, fontWeight: 700, fill: '#1f1a17', haloWidth: 4.5, maxWidth: 128 },
};

/** Room around the 400 x 400 canvas for labels of edge nodes, and a caption strip below it. */
export const FRAME = { margin: 24, caption: 36 } as const;
