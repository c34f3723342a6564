import { existsSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';

/** Debian's chromium (apt-get install chromium); playwright never downloads a browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

// Quiet, offline, container-friendly: no sandbox (root in CI), no GPU, no background traffic.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface PageOptions {
  extraHTTPHeaders?: Record<string, string>;
  viewport?: { width: number; height: number };
  /** 2 gives crisper screenshots (more whole pixels of thin strokes). Default 1. */
  deviceScaleFactor?: number;
}

/** Runs fn with a fresh page in a headless Chromium launched for it, and closes the browser after. */
export async function withPage<T>(fn: (page: Page) => Promise<T>, options: PageOptions = {}): Promise<T> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({
      viewport: options.viewport ?? { width: 800, height: 600 },
      deviceScaleFactor: options.deviceScaleFactor ?? 1,
      extraHTTPHeaders: options.extraHTTPHeaders,
    });
    return await fn(await context.newPage());
  } finally {
    await browser.close();
  }
}

type Rgb = [number, number, number];

function parseColour(hex: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

/** Calls visit for every opaque-enough pixel of the PNG (transparent ones have no colour to judge). */
function eachPixel({ data, width, height }: PNG, visit: (r: number, g: number, b: number) => void): number {
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] >= 128) visit(data[i], data[i + 1], data[i + 2]);
  }
  return width * height;
}

/**
 * The fraction of the image's pixels within `tolerance` (per channel, 0..255) of each colour.
 * Anti-aliased edges blend into their surroundings, so thin strokes count only where they are whole.
 */
export function colourCoverage(png: Buffer, colours: string[], tolerance = 12): Record<string, number> {
  const targets = colours.map(parseColour);
  const hits = new Array<number>(colours.length).fill(0);
  const total = eachPixel(PNG.sync.read(png), (r, g, b) => {
    targets.forEach(([tr, tg, tb], i) => {
      if (Math.abs(r - tr) <= tolerance && Math.abs(g - tg) <= tolerance && Math.abs(b - tb) <= tolerance) hits[i]++;
    });
  });
  return Object.fromEntries(colours.map((c, i) => [c, total ? hits[i] / total : 0]));
}

/**
 * The fraction of pixels that differ from the background, taken as the colour of the top-left
 * pixel unless given: a blank or failed page scores about 0.
 */
export function nonBackgroundFraction(png: Buffer, background?: string, tolerance = 8): number {
  const decoded = PNG.sync.read(png);
  const [br, bg, bb] = background ? parseColour(background) : [decoded.data[0], decoded.data[1], decoded.data[2]];
  let differing = 0;
  const total = eachPixel(decoded, (r, g, b) => {
    if (Math.abs(r - br) > tolerance || Math.abs(g - bg) > tolerance || Math.abs(b - bb) > tolerance) differing++;
  });
  return total ? differing / total : 0;
}
