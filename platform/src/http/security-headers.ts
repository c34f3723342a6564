import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * The security headers every response carries, as helmet works them out for these options, once.
 * (@fastify/helmet builds helmet's middleware again for every request, CSP text included: about
 * 4% of a busy gateway's CPU.) The default CSP suits what services answer (JSON, SVG, text):
 * nothing may load or run, and no page may frame it. A route that serves an HTML page or a
 * picture sets its own CSP (/graphiql, /api/docs, the map), which replaces this one.
 */
export const securityHeaders: Readonly<Record<string, string>> = headersOf(
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    // Not helmet's no-referrer: under it a browser sends `Origin: null` on a same-origin POST,
    // which the REST facade's Origin check must refuse.
    referrerPolicy: { policy: 'same-origin' },
    // The map picture may be shown by the front end of the same site (another port or subdomain).
    crossOriginResourcePolicy: { policy: 'same-site' },
  }),
);

/** The headers a helmet middleware sets (none of these options depends on the request). */
function headersOf(middleware: ReturnType<typeof helmet>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return Object.freeze(headers);
}
