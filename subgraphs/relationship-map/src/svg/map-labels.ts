import { MAP_CANVAS } from './map-geometry.js';
import { FRAME, type LabelStyle } from './map-style.js';

// Wide (CJK, kana, full-width) characters take about 1 em, the rest about 0.6 em: close enough
// to keep a label inside the frame without measuring text on the server.
const isWide = (ch: string) => (ch.codePointAt(0) ?? 0) >= 0x2e80;
const charWidth = (ch: string, fontSize: number) => (isWide(ch) ? 1 : 0.6) * fontSize;

/** The label cut to the style's width (with an ellipsis; the tooltip keeps it whole) and its estimated width. */
export function fitLabel(text: string, style: LabelStyle): { text: string; width: number } {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  let width = 0;
  for (let i = 0; i < chars.length; i++) {
    const w = charWidth(chars[i], style.fontSize);
    if (width + w > style.maxWidth && i < chars.length - 1) {
      return { text: `${chars.slice(0, i).join('')}…`, width: width + style.fontSize };
    }
    width += w;
  }
  return { text: chars.join(''), width };
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export const boxAround = (x: number, y: number, halfW: number, halfH: number): Box => ({
  x0: x - halfW,
  y0: y - halfH,
  x1: x + halfW,
  y1: y + halfH,
});

const gapBetween = (a: Box, b: Box) => Math.max(a.x0 - b.x1, b.x0 - a.x1, a.y0 - b.y1, b.y0 - a.y1);
const overlap = (a: Box, b: Box) =>
  Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));

const FRAME_BOX: Box = {
  x0: -FRAME.margin + 3,
  y0: -FRAME.margin + 3,
  x1: MAP_CANVAS.width + FRAME.margin - 3,
  y1: MAP_CANVAS.height + FRAME.margin + 6,
};
// Eight spots around a node: the four sides and the four corners (unit directions).
const SPOTS = [
  [0, 1],
  [0, -1],
  [1, 0],
  [-1, 0],
  [1, 1],
  [1, -1],
  [-1, 1],
  [-1, -1],
] as const;

export interface PlacedLabel {
  x: number;
  y: number;
  box: Box;
}

/**
 * Places every node's label beside its circle, greedily: of eight spots around the node, the one
 * pointing most away from the user that covers no circle, no earlier label and not the user;
 * when every spot collides (a crowded ring), the least covered one. Labels stay inside the frame.
 * Returns the baseline point of a middle-anchored text and the box it covers.
 */
export function placeLabels(nodes: { x: number; y: number; width: number }[], style: LabelStyle, keepClear: Box[]): PlacedLabel[] {
  const r = MAP_CANVAS.nodeRadius;
  const h = style.fontSize * 1.2;
  const obstacles = [...keepClear];
  return nodes.map((n) => {
    const out = { x: n.x - MAP_CANVAS.centre.x, y: n.y - MAP_CANVAS.centre.y };
    let best: { score: number; box: Box } | undefined;
    for (const [dx, dy] of SPOTS) {
      // Rank by how outward the spot points (0 best), so collisions decide only among near-equals.
      const rank = 1 - (dx * out.x + dy * out.y) / (Math.hypot(dx, dy) * (Math.hypot(out.x, out.y) || 1));
      const k = dx && dy ? 0.72 : 1; // corners touch the circle's diagonal, not its bounding square
      const cx = n.x + dx * (r * k + 3 + n.width / 2);
      const cy = n.y + dy * (r * k + 2 + h / 2);
      const box = inFrame(boxAround(cx, cy, n.width / 2 + 1, h / 2));
      const score =
        obstacles.reduce((sum, o) => sum + overlap(box, o), 0) + nodes.reduce((sum, c) => sum + circleCost(box, c), 0) + rank * 40;
      if (!best || score < best.score) best = { score, box };
    }
    obstacles.push(best!.box);
    // A CJK line's baseline lies about 0.36 em below the middle of its box.
    return { x: (best!.box.x0 + best!.box.x1) / 2, y: (best!.box.y0 + best!.box.y1) / 2 + style.fontSize * 0.36, box: best!.box };
  });
}

/** How much a box covers a node's circle (with its white stroke and a little air): 0 when clear. */
function circleCost(b: Box, c: { x: number; y: number }): number {
  const dx = Math.max(b.x0 - c.x, 0, c.x - b.x1);
  const dy = Math.max(b.y0 - c.y, 0, c.y - b.y1);
  const reach = MAP_CANVAS.nodeRadius + 3 - Math.hypot(dx, dy);
  return reach > 0 ? reach * reach * 4 : 0;
}

/** The box moved (not shrunk) to lie inside the frame. */
function inFrame(b: Box): Box {
  const dx = b.x0 < FRAME_BOX.x0 ? FRAME_BOX.x0 - b.x0 : b.x1 > FRAME_BOX.x1 ? FRAME_BOX.x1 - b.x1 : 0;
  const dy = b.y0 < FRAME_BOX.y0 ? FRAME_BOX.y0 - b.y0 : b.y1 > FRAME_BOX.y1 ? FRAME_BOX.y1 - b.y1 : 0;
  return { x0: b.x0 + dx, y0: b.y0 + dy, x1: b.x1 + dx, y1: b.y1 + dy };
}

// Top first, then alternately either side of it, in 15 degree steps.
const CANDIDATE_ANGLES = [0, ...Array.from({ length: 11 }, (_, i) => [(i + 1) * 15, -(i + 1) * 15]).flat(), 180].map(
  (d) => ((d - 90) * Math.PI) / 180,
);

/**
 * Where on its ring a ring's name goes: the spot nearest the top that keeps clear of every node
 * and label (the generator turns each ring by a seeded angle, so no fixed spot is always free),
 * else the least crowded one.
 */
export function ringNamePoint(radius: number, halfW: number, obstacles: Box[]): { x: number; y: number } {
  let best = { x: 0, y: 0, clearance: -Infinity };
  for (const angle of CANDIDATE_ANGLES) {
    const x = MAP_CANVAS.centre.x + radius * Math.cos(angle);
    const y = MAP_CANVAS.centre.y + radius * Math.sin(angle);
    const own = boxAround(x, y, halfW, 7);
    const clearance = Math.min(Infinity, ...obstacles.map((o) => gapBetween(own, o)));
    if (clearance >= 3) return { x, y };
    if (clearance > best.clearance) best = { x, y, clearance };
  }
  return best;
}
