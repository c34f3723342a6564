import type { StoredMapNode } from '../entities/index.js';
import { DISTANCE_COLORS, DISTANCES, type Distance, MAP_CANVAS } from './map-geometry.js';
import { type Box, boxAround, fitLabel, placeLabels, ringNamePoint } from './map-labels.js';
import { type DisplayMode, FRAME, LABEL_STYLES, MAP_FONT_FAMILY, MAP_PALETTE, RING_NAMES } from './map-style.js';
import { attrs, clamp, escapeXml } from './xml.js';

export type { DisplayMode } from './map-style.js';

/** A node as stored: its colour and position are drawn from the row, never trusted as markup. */
export type SvgMapNode = StoredMapNode;

export interface SvgMap {
  id: string;
  generatedAt: Date;
  nodes: SvgMapNode[];
}

export interface RenderMapSvgOptions {
  displayMode: DisplayMode;
  /** IANA zone the caption's date is written in; the seed's users are in Japan. */
  timeZone?: string;
}

const HEX_COLOUR = /^#[0-9a-f]{6}$/i;
const { width: W, height: H, centre: C, ringRadius, nodeRadius } = MAP_CANVAS;
const USER_BOX = boxAround(C.x, C.y, 17, 17);
const USER_LABEL_BOX = boxAround(C.x, C.y + 28, 22, 9);

interface DrawnNode {
  id: string;
  name: string;
  distance: Distance;
  x: number;
  y: number;
  colour: string;
  observation: string;
  label: { text: string; x: number; y: number; box: Box };
}

/**
 * The map as a standalone SVG document. Everything from the map is user input or stored data:
 * text is escaped, colours must be #rrggbb, coordinates are clamped, and nothing that could run
 * script (script, on* handlers, links, foreignObject) is ever emitted.
 */
export function renderMapSvg(map: SvgMap, options: RenderMapSvgOptions): string {
  const mode: DisplayMode = options.displayMode === 'LABEL_EMPHASIS' ? 'LABEL_EMPHASIS' : 'MINIMAL';
  // Ids are per map so that two maps inlined in one page do not share gradients.
  const p = `rm-${String(map.id)
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 48)}`;
  const nodes = layOut(map.nodes.map(drawnNode), mode);
  const title = `心の距離マップ（${nodes.length}件）`;
  const box = { x: -FRAME.margin, y: -FRAME.margin, w: W + 2 * FRAME.margin, h: H + 2 * FRAME.margin + FRAME.caption };
  return [
    `<svg xmlns="http://www.w3.org/2000/svg"${attrs({ viewBox: `${box.x} ${box.y} ${box.w} ${box.h}`, width: box.w, height: box.h, role: 'img', 'aria-label': title, 'aria-describedby': `${p}-desc`, 'data-map-id': map.id, 'data-display-mode': mode.toLowerCase(), 'font-family': MAP_FONT_FAMILY })}>`,
    `<title>${escapeXml(title)}</title>`,
    `<desc id="${p}-desc">${escapeXml(describe(nodes))}</desc>`,
    defs(p),
    `<rect${attrs({ x: box.x, y: box.y, width: box.w, height: box.h, rx: 18, fill: MAP_PALETTE.paper })}/>`,
    rings(p),
    threads(nodes),
    ringNames(nodes),
    user(),
    `<g class="nodes"${attrs(labelAttrs(mode))}>`,
    ...nodes.map((n) => node(n, p)),
    '</g>',
    caption(map.generatedAt, options.timeZone, box.y + box.h),
    '</svg>',
  ].join('\n');
}

function drawnNode(n: SvgMapNode): Omit<DrawnNode, 'label'> {
  const distance: Distance = DISTANCES.includes(n.position?.distance) ? n.position.distance : 'MID';
  const placed = Number.isFinite(n.position?.x) && Number.isFinite(n.position?.y);
  // A node without a usable position still shows, at the top of its ring.
  const x = placed ? clamp(n.position.x, 0, W) : C.x;
  const y = placed ? clamp(n.position.y, 0, H) : C.y - ringRadius[distance];
  const colour = typeof n.color === 'string' && HEX_COLOUR.test(n.color) ? n.color : DISTANCE_COLORS[distance];
  const name = (n.customLabel ?? '').trim() || String(n.label ?? '');
  return { id: String(n.id), name, distance, x, y, colour, observation: String(n.observationText ?? '') };
}

/** Shortens the labels and places them clear of the circles, of each other and of the user. */
function layOut(nodes: Omit<DrawnNode, 'label'>[], mode: DisplayMode): DrawnNode[] {
  const style = LABEL_STYLES[mode];
  const fitted = nodes.map((n) => fitLabel(n.name, style));
  const placed = placeLabels(
    nodes.map((n, i) => ({ x: n.x, y: n.y, width: fitted[i].width })),
    style,
    [USER_BOX, USER_LABEL_BOX],
  );
  return nodes.map((n, i) => ({ ...n, label: { text: fitted[i].text, ...placed[i] } }));
}

function describe(nodes: DrawnNode[]): string {
  const parts = DISTANCES.map((d) => {
    const names = nodes.filter((n) => n.distance === d).map((n) => n.name);
    return names.length ? `${RING_NAMES[d]}: ${names.join('、')}` : '';
  }).filter(Boolean);
  return parts.length ? `あなたを中心にした距離の地図。${parts.join('。')}。` : 'あなたを中心にした距離の地図。まだ誰もいません。';
}

function defs(p: string): string {
  return [
    '<defs>',
    `<radialGradient id="${p}-disc"${attrs({ cx: C.x, cy: C.y, r: ringRadius.FAR + 20, gradientUnits: 'userSpaceOnUse' })}>`,
    `<stop offset="0" stop-color="${MAP_PALETTE.discInner}"/><stop offset="0.5" stop-color="${MAP_PALETTE.discMiddle}"/>`,
    `<stop offset="0.92" stop-color="${MAP_PALETTE.discOuter}"/><stop offset="1" stop-color="${MAP_PALETTE.paper}"/>`,
    '</radialGradient>',
    `<filter id="${p}-shadow" x="-50%" y="-50%" width="200%" height="200%">`,
    '<feDropShadow dx="0" dy="1.2" stdDeviation="1.6" flood-color="#3b2a1e" flood-opacity="0.22"/>',
    '</filter>',
    '</defs>',
  ].join('\n');
}

function rings(p: string): string {
  const out = [
    `<g class="rings" aria-hidden="true">`,
    `<circle${attrs({ cx: C.x, cy: C.y, r: ringRadius.FAR + 20, fill: `url(#${p}-disc)` })}/>`,
  ];
  for (const d of DISTANCES) {
    out.push(
      `<circle${attrs({ cx: C.x, cy: C.y, r: ringRadius[d], fill: 'none', stroke: MAP_PALETTE.ringStroke, 'stroke-width': 1.25 })}/>`,
    );
  }
  out.push('</g>');
  return out.join('\n');
}

/** Faint threads from the user to each node: the distance the map is about. */
function threads(nodes: DrawnNode[]): string {
  const lines = nodes.map((n) => `<line${attrs({ x1: C.x, y1: C.y, x2: n.x, y2: n.y, stroke: n.colour })}/>`);
  return [
    `<g class="threads" aria-hidden="true" stroke-width="1.2" stroke-opacity="0.35" stroke-dasharray="2 3" stroke-linecap="round">`,
    ...lines,
    '</g>',
  ].join('\n');
}

/** Ring names on their ring line (the halo cuts the line around them), where no node or label is. */
function ringNames(nodes: DrawnNode[]): string {
  const obstacles = [...nodes.flatMap((n) => [boxAround(n.x, n.y, nodeRadius + 2, nodeRadius + 2), n.label.box]), USER_LABEL_BOX];
  const names = DISTANCES.map((d) => {
    const at = ringNamePoint(ringRadius[d], RING_NAMES[d].length * 5.5 + 2, obstacles);
    return `<text${attrs({ x: at.x, y: at.y + 3.5 })}>${RING_NAMES[d]}</text>`;
  });
  return [
    `<g class="ring-names" aria-hidden="true"${attrs({ 'text-anchor': 'middle', 'font-size': 10, 'letter-spacing': 1, fill: MAP_PALETTE.ringName, stroke: MAP_PALETTE.discMiddle, 'stroke-width': 4, 'paint-order': 'stroke', 'stroke-linejoin': 'round' })}>`,
    ...names,
    '</g>',
  ].join('\n');
}

function user(): string {
  return [
    '<g class="user">',
    '<title>あなた</title>',
    `<circle${attrs({ cx: C.x, cy: C.y, r: 17, fill: MAP_PALETTE.user, 'fill-opacity': 0.12 })}/>`,
    `<circle${attrs({ cx: C.x, cy: C.y, r: 9, fill: MAP_PALETTE.user, stroke: MAP_PALETTE.nodeStroke, 'stroke-width': 2.5 })}/>`,
    `<text${attrs({ x: C.x, y: C.y + 32, 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 700, fill: MAP_PALETTE.user, stroke: MAP_PALETTE.discInner, 'stroke-width': 4, 'paint-order': 'stroke', 'stroke-linejoin': 'round' })}>あなた</text>`,
    '</g>',
  ].join('\n');
}

function labelAttrs(mode: DisplayMode): Record<string, string | number> {
  const s = LABEL_STYLES[mode];
  return {
    'font-size': s.fontSize,
    'font-weight': s.fontWeight,
    fill: s.fill,
    stroke: MAP_PALETTE.paper,
    'stroke-width': s.haloWidth,
    'stroke-linejoin': 'round',
    'paint-order': 'stroke',
  };
}

function node(n: DrawnNode, p: string): string {
  const tooltip = n.observation ? `${n.name}\n${n.observation}` : n.name;
  return [
    `<g${attrs({ class: 'node', 'data-node-id': n.id, 'data-distance': n.distance.toLowerCase() })}>`,
    `<title>${escapeXml(tooltip)}</title>`,
    `<circle${attrs({ cx: n.x, cy: n.y, r: nodeRadius, fill: n.colour, stroke: MAP_PALETTE.nodeStroke, 'stroke-width': 2.5, filter: `url(#${p}-shadow)` })}/>`,
    `<text${attrs({ x: n.label.x, y: n.label.y, 'text-anchor': 'middle' })}>${escapeXml(n.label.text)}</text>`,
    '</g>',
  ].join('\n');
}

function caption(generatedAt: Date, timeZone: string | undefined, bottom: number): string {
  const y = bottom - 14;
  let x = -FRAME.margin + 22;
  const legend = DISTANCES.map((d) => {
    const item = `<circle${attrs({ cx: x, cy: y - 3.5, r: 5, fill: DISTANCE_COLORS[d] })}/><text${attrs({ x: x + 9, y })}>${RING_NAMES[d]}</text>`;
    x += 9 + RING_NAMES[d].length * 10.5 + 18;
    return item;
  });
  const date = formatDate(generatedAt, timeZone ?? 'Asia/Tokyo');
  const stamp = date ? `<text${attrs({ x: W + FRAME.margin - 16, y, 'text-anchor': 'end' })}>${escapeXml(date)} 作成</text>` : '';
  return [`<g class="caption"${attrs({ 'font-size': 10.5, fill: MAP_PALETTE.caption })}>`, ...legend, stamp, '</g>'].join('\n');
}

function formatDate(date: Date, timeZone: string): string {
  if (!(date instanceof Date) || !Number.isFinite(date.getTime())) return '';
  const format = (tz: string) =>
    new Intl.DateTimeFormat('ja-JP', {
      timeZone: tz,
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    }).format(date);
  try {
    return format(timeZone);
  } catch {
    return format('UTC'); // an unknown zone name
  }
}
