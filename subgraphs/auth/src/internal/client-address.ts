import { AsyncLocalStorage } from 'node:async_hooks';
import { isIP } from 'node:net';
import type { SubgraphContext, SubgraphServerOptions } from '@app/platform';
import { internalKeyMatches } from './internal-key.js';

type HttpApp = Parameters<NonNullable<SubgraphServerOptions<SubgraphContext>['routes']>>[0];

/** The address of the gateway's client, set by the gateway on its calls to this service. */
export const CLIENT_IP_HEADER = 'x-client-ip';
/** `Bearer <INTERNAL_API_KEY>`: proves a call comes from the gateway (Authorization carries the user's token). */
export const INTERNAL_AUTHORIZATION_HEADER = 'x-internal-authorization';

const requestAddress = new AsyncLocalStorage<string>();

/**
 * Makes the caller's address available to the request's resolvers (`currentClientAddress`), for
 * the login throttle. Behind the gateway every call comes from the gateway's address, so the
 * gateway names its client in `x-client-ip`; that header is believed only when the same request
 * carries INTERNAL_API_KEY in `x-internal-authorization`. Anyone else (a direct caller, or the
 * gateway without the key configured) is counted by the TCP peer address, which it cannot choose.
 */
export function registerClientAddress(app: HttpApp, internalApiKey: string | undefined) {
  // preHandler: after the body is parsed, so the store holds for the whole GraphQL execution.
  app.addHook('preHandler', (request, _reply, done) => {
    const forwarded = request.headers[CLIENT_IP_HEADER];
    const trusted =
      typeof forwarded === 'string' &&
      isIP(forwarded.trim()) !== 0 &&
      internalKeyMatches(request.headers[INTERNAL_AUTHORIZATION_HEADER], internalApiKey);
    requestAddress.run(trusted ? forwarded.trim() : request.ip, done);
  });
}

/** The current request's client address (see registerClientAddress); undefined outside a request. */
export const currentClientAddress = (): string | undefined => requestAddress.getStore();

/**
 * The bucket an address is counted in: an IPv4 address (IPv4-mapped IPv6 included) as itself,
 * an IPv6 address by its /64, since one subscriber usually holds a whole /64 and could otherwise
 * take a fresh address per attempt.
 */
export function addressBucket(address: string): string {
  const ip = address.split('%')[0]; // an IPv6 zone id names an interface, not a client
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIP(ip) !== 6) return ip;
  const [head, tail] = ip.split('::');
  const groupsOf = (part: string | undefined) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const left = groupsOf(head);
  const right = groupsOf(tail);
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
