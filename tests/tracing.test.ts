/**
 * OpenTelemetry across the platform: with OTEL_EXPORTER_OTLP_ENDPOINT set, one order placed
 * through the gateway is one trace, from the client's `traceparent` through the gateway's query
 * plan and subgraph fetches, the orders subgraph's resolver and database calls, its outbox and
 * NATS into the saga's steps in catalog and orders, exported as OTLP/HTTP JSON to a local
 * receiver, with each span under its own service's name. The services' log lines inside that
 * trace carry its trace id.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setLogDestination } from '@app/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, gql, LOGIN } from './support/client.js';
import { testAdmin } from './support/env.js';
import { type FaultPlatform, registerOn, startFaultPlatform } from './support/faults/in-process-platform.js';
import { createProduct, placeOrder, untilOrdersKnow, untilStatus } from './support/orders.js';
import { formatTrace, type OtlpReceiver, type ReceivedSpan, SpanKinds, startOtlpReceiver } from './support/otlp-receiver.js';

let receiver: OtlpReceiver;
let platform: FaultPlatform;
const logLines: string[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // Every logger the platform makes writes here (debug: the HTTP shell's per-request line).
  setLogDestination(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    }),
  );
  platform = await startFaultPlatform({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, LOG_LEVEL: 'debug' });
}, 120_000);

afterAll(async () => {
  await platform?.close();
  setLogDestination(undefined);
  await receiver?.close();
});

describe('tracing', () => {
  it('follows createOrder from the gateway through the subgraphs, the database and NATS into the saga, in one trace', async () => {
    expect(platform.tracing.enabled).toBe(true);
    const gateway = { url: platform.gatewayUrl };
    const login = await gql(LOGIN, { input: { usernameOrEmail: testAdmin.username, password: testAdmin.password } }, gateway);
    const admin = login.body.data!.login.accessToken as string;
    const buyer = await registerOn(platform, 'tracing');
    const product = await createProduct(admin, { price: 4, stockQuantity: 3 }, gateway);
    await untilOrdersKnow(buyer.accessToken, [product.id], gateway);

    // The client starts the trace: its id is the one to look for.
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const order = await placeOrder(buyer.accessToken, [{ productId: product.id, quantity: 1 }], { ...gateway, headers: { traceparent } });
    await untilStatus(buyer.accessToken, order.id, ['CONFIRMED'], gateway);

    const trace = () => receiver.spans.filter((s) => s.traceId === traceId);
    const has = (spans: ReceivedSpan[], match: (s: ReceivedSpan) => boolean) => spans.some(match);
    const expectations: [string, (s: ReceivedSpan) => boolean][] = [
      ['the gateway server span', (s) => s.service === 'gateway' && s.kind === SpanKinds.SERVER && s.name === 'POST /graphql'],
      // (gateway.plan only when the plan is not cached yet: untilOrdersKnow ran this operation already.)
      ["the gateway's execution of the query plan", (s) => s.service === 'gateway' && s.name === 'gateway.execute'],
      [
        "the gateway's fetch from orders",
        (s) => s.service === 'gateway' && s.name === 'gateway.fetch' && s.attributes.service === 'orders',
      ],
      ['the orders server span', (s) => s.service === 'orders' && s.kind === SpanKinds.SERVER],
      ['the createOrder resolver', (s) => s.service === 'orders' && s.name === 'resolve Mutation.createOrder'],
      [
        'a database call of orders',
        (s) =>
          s.service === 'orders' &&
          s.kind === SpanKinds.CLIENT &&
          s.attributes['db.system'] === 'postgresql' &&
          typeof s.attributes['db.query.text'] === 'string',
      ],
      [
        'the publish of the reserve command',
        (s) => s.service === 'orders' && s.kind === SpanKinds.PRODUCER && s.name === 'publish catalog.inventory.reserve',
      ],
      [
        "catalog's handling of it",
        (s) => s.service === 'catalog' && s.kind === SpanKinds.CONSUMER && s.name === 'process catalog.inventory.reserve',
      ],
      [
        "catalog's database calls",
        (s) => s.service === 'catalog' && s.kind === SpanKinds.CLIENT && s.attributes['db.system'] === 'postgresql',
      ],
      [
        "the saga's handling of catalog's reply",
        (s) => s.service === 'orders' && s.kind === SpanKinds.CONSUMER && s.name.startsWith('process catalog.inventory.'),
      ],
    ];
    // Every span of the trace but the client's own reaches the gateway's server span (spans still
    // open, a saga step under way, are not exported yet: their children wait for them).
    const unconnected = (spans: ReceivedSpan[]) => {
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const root = spans.find((s) => s.service === 'gateway' && s.kind === SpanKinds.SERVER);
      return spans.filter((span) => {
        let at: ReceivedSpan | undefined = span;
        while (at && at !== root) at = byId.get(at.parentSpanId!);
        return !root || at !== root;
      });
    };
    await eventually(
      async () => {
        await platform.tracing.forceFlush();
        const spans = trace();
        return expectations.every(([, match]) => has(spans, match)) && unconnected(spans).length === 0;
      },
      15_000,
      200,
    ).catch(() => {});
    const spans = trace();
    const tree = formatTrace(spans);
    for (const [what, match] of expectations) expect(has(spans, match), `${what} is missing from the trace:\n${tree}`).toBe(true);
    expect(
      unconnected(spans).map((s) => `${s.service}: ${s.name}`),
      tree,
    ).toEqual([]);
    expect(receiver.rejected).toBe(0);

    // Parent links: the subgraph's span hangs under the gateway's fetch, the consumer under the publish.
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ordersServer = spans.find(
      (s) =>
        s.service === 'orders' &&
        s.kind === SpanKinds.SERVER &&
        s.attributes['http.route'] === '/graphql' &&
        byId.get(s.parentSpanId!)?.name === 'gateway.fetch',
    );
    expect(ordersServer, tree).toBeDefined();
    const reserve = spans.find((s) => s.name === 'process catalog.inventory.reserve')!;
    expect(byId.get(reserve.parentSpanId!)?.name, tree).toBe('publish catalog.inventory.reserve');

    // Log lines written inside the trace carry its ids.
    const traced = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.trace_id === traceId);
    expect(traced.length).toBeGreaterThan(0);
    expect(traced.some((entry) => entry.service === 'gateway')).toBe(true);
    expect(traced.some((entry) => byId.get(entry.span_id as string)?.service === 'gateway')).toBe(true);
  }, 90_000);
});
