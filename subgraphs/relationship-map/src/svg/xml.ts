// Characters XML 1.0 forbids outright (no escape makes them legal): C0 controls other than tab,
// LF and CR, lone surrogates, U+FFFE and U+FFFF. They become U+FFFD so the document still parses.
const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes a string for XML text and for double- or single-quoted attribute values alike. */
export function escapeXml(value: unknown): string {
  return String(value ?? '')
    .replace(NOT_XML, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** A finite number with at most one decimal (0 for anything else), as SVG attributes want it. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return '0';
  const rounded = Math.round(value * 10) / 10;
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** `name="value"` pairs; values are escaped, numbers go through num(). */
export function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`)
    .join('');
}
