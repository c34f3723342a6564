import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colourCoverage, hasChromium, nonBackgroundFraction, withPage } from '../../../tests/support/browser.js';
import { DISTANCE_COLORS, type Distance, MAP_CANVAS } from '../src/svg/map-geometry.js';
import { FRAME, MAP_PALETTE } from '../src/svg/map-style.js';
import { type DisplayMode, renderMapSvg, type SvgMap } from '../src/svg/render-map-svg.js';

const SCRIPT_LABEL = '<script>alert(1)</script>';

/** Nine nodes, three per ring, spread like the generator spreads them (each ring turned a little). */
function sampleMap(): SvgMap {
  const rings: [Distance, [string, string | null, string][]][] = [
    [
      'NEAR',
      [
        ['家族', null, '最近、目にすることが多かった。考えが残りやすい。'],
        ['友達', '親友A', '無言でも違和感はない。'],
        ['パートナー', null, '考えが残りやすい。'],
      ],
    ],
    [
      'MID',
      [
        ['職場の先輩', null, '反応は少なめ。でも存在感はある。'],
        ['大学の友達', null, '距離は安定している。'],
        ['x', SCRIPT_LABEL, '"><img src=x onerror=alert(1)>'],
      ],
    ],
    [
      'FAR',
      [
        ['地元の同級生', null, '会話は生まれていない。'],
        ['元同僚', null, '少し気を使う。'],
        ['趣味サークルの仲間たちとその家族', null, '存在感はある。'],
      ],
    ],
  ];
  const { centre, ringRadius } = MAP_CANVAS;
  const nodes = rings.flatMap(([distance, entries], r) =>
    entries.map(([label, customLabel, observationText], i) => {
      const angle = ((-90 + r * 40 + i * 120 + (i % 2 ? 9 : -6)) * Math.PI) / 180;
      return {
        id: `${distance.toLowerCase()}-${i}`,
        label,
        customLabel,
        position: { x: centre.x + ringRadius[distance] * Math.cos(angle), y: centre.y + ringRadius[distance] * Math.sin(angle), distance },
        color: DISTANCE_COLORS[distance],
        observationText,
      };
    }),
  );
  return { id: 'map-sample', generatedAt: new Date('2026-01-31T09:53:00Z'), nodes };
}

const title = hasChromium
  ? 'the map SVG in headless Chromium'
  : 'the map SVG in headless Chromium (SKIPPED: /usr/bin/chromium missing; apt-get install chromium fonts-noto-cjk)';

describe.skipIf(!hasChromium)(title, () => {
  const svgs: Record<DisplayMode, string> = {
    MINIMAL: renderMapSvg(sampleMap(), { displayMode: 'MINIMAL' }),
    LABEL_EMPHASIS: renderMapSvg(sampleMap(), { displayMode: 'LABEL_EMPHASIS' }),
  };
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const mode = req.url === '/minimal.svg' ? 'MINIMAL' : req.url === '/emphasis.svg' ? 'LABEL_EMPHASIS' : null;
      if (!mode) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'image/svg+xml; charset=utf-8' }).end(svgs[mode]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server?.close(() => resolve())));

  for (const [mode, file] of [
    ['LABEL_EMPHASIS', 'emphasis'],
    ['MINIMAL', 'minimal'],
  ] as const) {
    it(`draws the map (${mode}): rings, coloured nodes, Japanese labels as text, nothing runs`, async () => {
      const result = await withPage(
        async (page) => {
          const dialogs: string[] = [];
          page.on('dialog', (d) => {
            dialogs.push(d.message());
            void d.dismiss();
          });
          const response = await page.goto(`${base}/${file}.svg`);
          expect(response?.headers()['content-type']).toContain('image/svg+xml');
          const dom = await page.evaluate(async () => {
            await document.fonts.ready;
            const root = document.documentElement;
            const texts = [...document.querySelectorAll('g.node text')].map((t) => {
              const box = (t as SVGGraphicsElement).getBBox();
              return { text: t.textContent ?? '', width: box.width, height: box.height };
            });
            return {
              root: root.localName,
              parseError: document.getElementsByTagName('parsererror').length,
              scripts: document.getElementsByTagName('script').length,
              images: document.getElementsByTagName('img').length,
              texts,
              fontAvailable: document.fonts.check('12px "Noto Sans CJK JP"', '家族'),
            };
          });
          const svgBox = {
            x: 0,
            y: 0,
            width: MAP_CANVAS.width + 2 * FRAME.margin,
            height: MAP_CANVAS.height + 2 * FRAME.margin + FRAME.caption,
          };
          const whole = await page.screenshot({ clip: svgBox });
          // The canvas alone (no caption), so the legend's dots cannot stand in for the nodes.
          const canvas = await page.screenshot({
            clip: { x: FRAME.margin, y: FRAME.margin, width: MAP_CANVAS.width, height: MAP_CANVAS.height },
          });
          return { dialogs, dom, whole, canvas };
        },
        { viewport: { width: 600, height: 600 }, deviceScaleFactor: 2 },
      );

      mkdirSync('.scratch', { recursive: true });
      writeFileSync(`.scratch/map-svg${mode === 'MINIMAL' ? '-minimal' : ''}.png`, result.whole);

      expect(result.dom).toMatchObject({ root: 'svg', parseError: 0, scripts: 0, images: 0, fontAvailable: true });
      expect(result.dialogs).toEqual([]);
      expect(nonBackgroundFraction(result.whole, MAP_PALETTE.paper)).toBeGreaterThan(0.3);

      const coverage = colourCoverage(result.canvas, [...Object.values(DISTANCE_COLORS), MAP_PALETTE.ringStroke, MAP_PALETTE.user]);
      for (const [colour, fraction] of Object.entries(coverage)) expect(fraction, colour).toBeGreaterThan(0.0005);
      // Three nodes of r=14 per colour: about 3 * 615 px of 160 000, threads and shadows aside.
      for (const colour of Object.values(DISTANCE_COLORS)) expect(coverage[colour], colour).toBeGreaterThan(0.008);

      expect(result.dom.texts).toHaveLength(9);
      for (const t of result.dom.texts) {
        expect(t.width, t.text).toBeGreaterThan(5);
        expect(t.height, t.text).toBeGreaterThan(5);
      }
      const family = result.dom.texts.find((t) => t.text === '家族')!;
      // Two CJK glyphs are about two ems wide; tofu or a missing font would not be.
      const fontSize = mode === 'MINIMAL' ? 11 : 14;
      expect(family.width).toBeGreaterThan(fontSize * 1.6);
      expect(family.width).toBeLessThan(fontSize * 2.6);
      // The script label is drawn as (shortened) text, not run.
      expect(result.dom.texts.some((t) => t.text.startsWith('<script>alert('))).toBe(true);
    });
  }
});
