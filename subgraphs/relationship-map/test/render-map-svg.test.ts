import { describe, expect, it } from 'vitest';
import { DISTANCE_COLORS, type Distance, MAP_CANVAS } from '../src/svg/map-geometry.js';
import { renderMapSvg, type SvgMap, type SvgMapNode } from '../src/svg/render-map-svg.js';

// A strict little XML parser: enough to prove the output well-formed (one root, balanced tags,
// quoted unique attributes, only the five named entities and numeric references) and to query it.
interface El {
  name: string;
  attrs: Record<string, string>;
  children: (El | string)[];
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi;
function decode(raw: string, where: string): string {
  if (raw.replace(ENTITY, '').includes('&')) throw new Error(`bare & in ${where}: ${raw}`);
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return raw.replace(ENTITY, (e) => {
    const body = e.slice(1, -1);
    return body[0] === '#'
      ? String.fromCodePoint(body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10))
      : named[body];
  });
}

function parseXml(xml: string): El {
  const NAME = '[A-Za-z_][\\w.:-]*';
  const tag = new RegExp(`^<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>`);
  const stack: El[] = [{ name: '#document', attrs: {}, children: [] }];
  let i = 0;
  while (i < xml.length) {
    if (xml[i] !== '<') {
      const end = xml.indexOf('<', i) === -1 ? xml.length : xml.indexOf('<', i);
      const text = decode(xml.slice(i, end), 'text');
      if (stack.length === 1 && text.trim()) throw new Error(`text outside the root: ${text}`);
      if (stack.length > 1) stack.at(-1)!.children.push(text);
      i = end;
    } else if (xml.startsWith('</', i)) {
      const m = new RegExp(`^</(${NAME})\\s*>`).exec(xml.slice(i));
      const open = stack.pop()!;
      if (!m || m[1] !== open.name) throw new Error(`mismatched </${m?.[1]}> for <${open.name}> at ${i}`);
      i += m[0].length;
    } else {
      const m = tag.exec(xml.slice(i));
      if (!m) throw new Error(`bad markup at ${i}: ${xml.slice(i, i + 40)}`);
      const el: El = { name: m[1], attrs: {}, children: [] };
      for (const a of m[2].matchAll(new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g'))) {
        if (a[1] in el.attrs) throw new Error(`duplicate attribute ${a[1]}`);
        el.attrs[a[1]] = decode(a[2] ?? a[3], `attribute ${a[1]}`);
      }
      if (stack.length === 1 && stack[0].children.length) throw new Error('a second root element');
      stack.at(-1)!.children.push(el);
      if (!m[3]) stack.push(el);
      i += m[0].length;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  const root = stack[0].children.find((c): c is El => typeof c !== 'string');
  if (!root) throw new Error('no root element');
  return root;
}

const all = (el: El): El[] => [el, ...el.children.flatMap((c) => (typeof c === 'string' ? [] : all(c)))];
const textOf = (el: El): string => el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
const child = (el: El, name: string) => el.children.find((c): c is El => typeof c !== 'string' && c.name === name);
const nodeGroup = (root: El, id: string) => all(root).find((e) => e.name === 'g' && e.attrs['data-node-id'] === id)!;

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';

function node(id: string, distance: Distance, angle: number, extra: Partial<SvgMapNode> = {}): SvgMapNode {
  const r = MAP_CANVAS.ringRadius[distance];
  const a = (angle * Math.PI) / 180;
  return {
    id,
    label: id,
    customLabel: null,
    color: DISTANCE_COLORS[distance],
    observationText: '最近、目にすることが多かった。考えが残りやすい。',
    position: { x: MAP_CANVAS.centre.x + r * Math.cos(a), y: MAP_CANVAS.centre.y + r * Math.sin(a), distance },
    ...extra,
  };
}

function sample(): SvgMap {
  return {
    id: 'map-1',
    generatedAt: new Date('2026-01-31T09:53:00Z'),
    nodes: [
      node('n1', 'NEAR', -90, { label: '家族', customLabel: '家族' }),
      node('n2', 'NEAR', 60, { label: '友達', customLabel: '親友A', observationText: '無言でも違和感はない。' }),
      node('n3', 'MID', 200, { label: SCRIPT, observationText: SCRIPT }),
      node('n4', 'MID', 20, { label: 'x', customLabel: IMG, observationText: IMG }),
      node('n5', 'FAR', 135, { label: '元同僚', observationText: '会話は生まれていない。少し気を使う。' }),
    ],
  };
}

describe('renderMapSvg', () => {
  const minimal = renderMapSvg(sample(), { displayMode: 'MINIMAL' });
  const emphasis = renderMapSvg(sample(), { displayMode: 'LABEL_EMPHASIS' });

  it('is a well-formed, self-describing SVG document', () => {
    for (const svg of [minimal, emphasis]) {
      const root = parseXml(svg);
      expect(root.name).toBe('svg');
      expect(root.attrs).toMatchObject({
        xmlns: 'http://www.w3.org/2000/svg',
        role: 'img',
        viewBox: expect.stringMatching(/^-?\d+ -?\d+ \d+ \d+$/),
      });
      expect(Number(root.attrs.width)).toBeGreaterThanOrEqual(MAP_CANVAS.width);
      expect(Number(root.attrs.height)).toBeGreaterThanOrEqual(MAP_CANVAS.height);
      expect(root.attrs['aria-label']).toContain('心の距離マップ');
      expect(textOf(child(root, 'title')!)).toContain('心の距離マップ');
      expect(textOf(child(root, 'desc')!)).toContain('親友A');
      expect(root.attrs['font-family']).toMatch(/'Noto Sans CJK JP'.*sans-serif$/);
      expect(svg).toContain('あなた');
      expect(svg).toContain('2026年1月31日 18:53 JST');
    }
  });

  it('draws the three rings, the user and one coloured circle per node', () => {
    const circles = all(parseXml(minimal)).filter((e) => e.name === 'circle');
    for (const r of Object.values(MAP_CANVAS.ringRadius))
      expect(circles.some((c) => c.attrs.r === String(r) && c.attrs.fill === 'none')).toBe(true);
    const root = parseXml(minimal);
    expect(child(nodeGroup(root, 'n1'), 'circle')!.attrs.fill).toBe(DISTANCE_COLORS.NEAR);
    expect(child(nodeGroup(root, 'n5'), 'circle')!.attrs.fill).toBe(DISTANCE_COLORS.FAR);
    expect(textOf(child(nodeGroup(root, 'n2'), 'text')!)).toBe('親友A'); // customLabel wins
    expect(textOf(child(nodeGroup(root, 'n5'), 'text')!)).toBe('元同僚'); // no customLabel: label
  });

  it('shows hostile labels only as escaped text and emits nothing that can run', () => {
    for (const svg of [minimal, emphasis]) {
      expect(svg).not.toMatch(/<script/i);
      expect(svg).not.toMatch(/<img/i);
      expect(svg).not.toMatch(/<foreignObject|javascript:/i);
      expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(svg).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
      // "onerror=" survives only as the characters of a label (text), never as markup.
      const markup = svg.replace(/>[^<]*</g, '><');
      expect(markup).not.toMatch(/\son\w+\s*=/i);
      expect(markup).not.toMatch(/onerror/i);
      for (const el of all(parseXml(svg))) {
        expect(['script', 'foreignObject', 'a', 'image', 'use', 'iframe', 'animate', 'set']).not.toContain(el.name);
        for (const name of Object.keys(el.attrs)) expect(name).not.toMatch(/^on|href$/i);
      }
      const root = parseXml(svg);
      expect(textOf(child(nodeGroup(root, 'n3'), 'title')!)).toContain(SCRIPT);
      expect(textOf(child(nodeGroup(root, 'n4'), 'text')!)).toContain('"><img');
    }
  });

  it('escapes ids and survives characters XML cannot hold', () => {
    const map = sample();
    map.id = `m" onload="alert(1)`;
    map.nodes[0] = {
      ...map.nodes[0],
      id: `' onmouseover='alert(1)`,
      label: 'a\u0000b\u0007c\uD800',
      customLabel: null,
      observationText: 'x\u001Fy',
    };
    const svg = renderMapSvg(map, { displayMode: 'MINIMAL' });
    const root = parseXml(svg);
    expect(root.attrs['data-map-id']).toBe(map.id);
    expect(nodeGroup(root, map.nodes[0].id)).toBeDefined();
    expect(svg).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    expect(textOf(child(nodeGroup(root, map.nodes[0].id), 'text')!)).toBe('a\uFFFDb\uFFFDc\uFFFD');
    for (const el of all(root)) for (const name of Object.keys(el.attrs)) expect(name).not.toMatch(/^on/i);
  });

  it('replaces a colour that is not #rrggbb by its distance colour', () => {
    const bad = ['red', '#fff', '#12345g', 'url(javascript:alert(1))', '#abcdef" onload="x', ''];
    const map = sample();
    map.nodes = bad.map((color, i) => node(`b${i}`, i % 2 ? 'FAR' : 'NEAR', i * 60, { color }));
    map.nodes.push(node('ok', 'MID', 0, { color: '#A1B2C3' }));
    const root = parseXml(renderMapSvg(map, { displayMode: 'MINIMAL' }));
    for (const i of bad.keys()) {
      expect(child(nodeGroup(root, `b${i}`), 'circle')!.attrs.fill).toBe(i % 2 ? DISTANCE_COLORS.FAR : DISTANCE_COLORS.NEAR);
    }
    expect(child(nodeGroup(root, 'ok'), 'circle')!.attrs.fill).toBe('#A1B2C3');
  });

  it('keeps every coordinate finite and on the canvas', () => {
    const map = sample();
    map.nodes = [
      node('far-out', 'FAR', 0, { position: { x: -500, y: 1e9, distance: 'FAR' } }),
      node('nan', 'NEAR', 0, { position: { x: Number.NaN, y: Infinity, distance: 'NEAR' } }),
      node('bad-distance', 'MID', 0, { position: { x: 10, y: 10, distance: 'SIDEWAYS' as Distance } }),
    ];
    const svg = renderMapSvg(map, { displayMode: 'LABEL_EMPHASIS' });
    expect(svg).not.toMatch(/NaN|Infinity|e\+/);
    const root = parseXml(svg);
    for (const id of ['far-out', 'nan', 'bad-distance']) {
      const c = child(nodeGroup(root, id), 'circle')!;
      for (const v of [Number(c.attrs.cx), Number(c.attrs.cy)]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(MAP_CANVAS.width);
      }
    }
    expect(child(nodeGroup(root, 'nan'), 'circle')!.attrs).toMatchObject({
      cx: '200',
      cy: String(MAP_CANVAS.centre.y - MAP_CANVAS.ringRadius.NEAR),
    });
    expect(nodeGroup(root, 'bad-distance').attrs['data-distance']).toBe('mid');
  });

  it('LABEL_EMPHASIS draws labels large and bold on a halo; MINIMAL small and light', () => {
    const labels = (svg: string) => all(parseXml(svg)).find((e) => e.name === 'g' && e.attrs.class === 'nodes')!.attrs;
    const m = labels(minimal);
    const e = labels(emphasis);
    expect(Number(e['font-size'])).toBeGreaterThan(Number(m['font-size']));
    expect(Number(e['font-weight'])).toBeGreaterThanOrEqual(700);
    expect(Number(m['font-weight'])).toBeLessThan(600);
    expect(e['paint-order']).toBe('stroke');
    expect(Number(e['stroke-width'])).toBeGreaterThan(Number(m['stroke-width']));
    expect(e.fill).not.toBe(m.fill);
    expect(parseXml(emphasis).attrs['data-display-mode']).toBe('label_emphasis');
  });

  it('puts the observation text in each node tooltip, with the whole label', () => {
    const map = sample();
    map.nodes[4] = { ...map.nodes[4], label: '趣味サークルの仲間たちとその家族とさらにその友達' };
    const root = parseXml(renderMapSvg(map, { displayMode: 'LABEL_EMPHASIS' }));
    for (const n of map.nodes) {
      const g = nodeGroup(root, n.id);
      expect((g.children.find((c) => typeof c !== 'string') as El).name).toBe('title'); // first child: the tooltip
      expect(textOf(child(g, 'title')!)).toContain(n.observationText);
    }
    const long = nodeGroup(root, 'n5');
    expect(textOf(child(long, 'text')!)).toMatch(/^趣味サークル.*…$/);
    expect(textOf(child(long, 'title')!)).toContain('趣味サークルの仲間たちとその家族とさらにその友達');
  });

  it('is deterministic and copes with no nodes and a bad date', () => {
    expect(renderMapSvg(sample(), { displayMode: 'MINIMAL' })).toBe(minimal);
    const empty = renderMapSvg({ id: 'e', generatedAt: new Date('nope'), nodes: [] }, { displayMode: 'MINIMAL', timeZone: 'Not/AZone' });
    expect(parseXml(empty).name).toBe('svg');
    expect(empty).not.toContain('作成');
    const utc = renderMapSvg({ ...sample(), nodes: [] }, { displayMode: 'MINIMAL', timeZone: 'Not/AZone' });
    expect(utc).toContain('09:53 UTC');
  });
});
