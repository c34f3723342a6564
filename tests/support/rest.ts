import { inject } from 'vitest';

export const gatewayBase = () => inject('urls').gateway;

export interface RestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * One REST call to the gateway's facade; the body is parsed when it is JSON. With a cookie it
 * sends what a browser on the gateway's own pages sends, `Origin` (cookie-authenticated writes
 * need an allowed one), unless the headers bring their own Origin or Referer, or `origin: false`.
 */
export async function rest<T = any>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; cookie?: string; headers?: Record<string, string>; origin?: false } = {},
): Promise<RestResponse<T>> {
  const own = Object.keys(options.headers ?? {}).some((h) => /^(origin|referer)$/i.test(h));
  const res = await fetch(`${gatewayBase()}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...(options.cookie && !own && options.origin !== false ? { origin: gatewayBase() } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: any = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body, text };
}

/** `name=value` pairs of the Set-Cookie headers, and their attributes. */
export function setCookies(headers: Headers): Record<string, { value: string; attributes: string }> {
  const out: Record<string, { value: string; attributes: string }> = {};
  for (const line of headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq).trim()] = { value: pair.slice(eq + 1), attributes: attributes.join(';').trim() };
  }
  return out;
}
