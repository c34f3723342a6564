import { EventBusConfigError } from './errors.js';

/**
 * nats.js ignores credentials in a server URL, so NATS_URL could not carry them the way
 * REDIS_URL does: take `user:pass@` (or a lone `token@`) out of the URLs (comma-separated or a
 * list) and hand it over as connection options.
 */
export function natsConnectOptions(url: string | string[]): { servers: string[]; user?: string; pass?: string; token?: string } {
  const entries = (Array.isArray(url) ? url : [url])
    .flatMap((u) => u.split(','))
    .map((u) => u.trim())
    .filter(Boolean);
  let auth: { user?: string; pass?: string; token?: string } | undefined;
  const servers = entries.map((entry) => {
    const match = /^([a-z]+:\/\/)([^@/]*)@(.+)$/i.exec(entry);
    if (!match) return entry;
    const [, scheme, userinfo, rest] = match;
    const colon = userinfo.indexOf(':');
    const found =
      colon < 0
        ? { token: decodeURIComponent(userinfo) }
        : { user: decodeURIComponent(userinfo.slice(0, colon)), pass: decodeURIComponent(userinfo.slice(colon + 1)) };
    if (auth && (auth.user !== found.user || auth.pass !== found.pass || auth.token !== found.token)) {
      throw new EventBusConfigError('every NATS server URL must carry the same credentials');
    }
    auth = found;
    return scheme + rest;
  });
  return { servers, ...auth };
}
