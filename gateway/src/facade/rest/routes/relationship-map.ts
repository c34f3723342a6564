import { z } from 'zod';
import { defineRoute } from '../route.js';
import { int, uuid } from '../schemas.js';
import { distance, lower, mapNode, NODE_FIELDS, signals, toMapNode, upper } from './seed004-values.js';

const windowDays = z
  .string()
  .regex(/^\d+$/, 'windowDays must be an integer')
  .transform(Number)
  .pipe(z.number().int().min(1, 'windowDays must be between 1 and 90').max(90, 'windowDays must be between 1 and 90'));

const basis = z.object({ facebookSignals: z.boolean(), userHints: z.boolean(), randomJitter: z.boolean() });

/** The picture is a document a browser renders: it may run nothing and load nothing. */
const SVG_HEADERS = {
  'cache-control': 'private, no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
};

/** Seed 004's Facebook (section 2.3) and map (2.4) routes, and the map as a picture. */
export const relationshipMapRoutes = [
  defineRoute({
    method: 'POST',
    path: '/api/facebook/connect',
    summary: 'Link Facebook: the token is checked with Facebook, then kept encrypted (never returned)',
    tag: 'relationship-map',
    auth: 'required',
    body: z.strictObject({ accessToken: z.string() }),
    operation: {
      name: 'ConnectFacebook',
      document: `mutation ConnectFacebook($input: ConnectFacebookInput!) { connectFacebook(input: $input) { connected facebookUserId connectedAt } }`,
    },
    variables: ({ body }) => ({ input: body }),
    status: 200,
    result: ({ connectFacebook }) => connectFacebook,
    response: z.object({ connected: z.boolean(), facebookUserId: z.string().nullable(), connectedAt: z.string().nullable() }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/facebook/disconnect',
    summary: 'Unlink Facebook: the token and the signals are forgotten',
    tag: 'relationship-map',
    auth: 'required',
    operation: { name: 'DisconnectFacebook', document: `mutation DisconnectFacebook { disconnectFacebook { connected disconnectedAt } }` },
    variables: () => ({}),
    status: 200,
    result: ({ disconnectFacebook }) => ({
      disconnected: !disconnectFacebook.connected,
      disconnectedAt: disconnectFacebook.disconnectedAt,
    }),
    response: z.object({ disconnected: z.boolean(), disconnectedAt: z.string() }),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/facebook/aggregate-signals',
    summary: 'Bucketed levels of the Facebook activity over windowDays (1..90, default 14); no names, no content',
    tag: 'relationship-map',
    auth: 'required',
    query: z.strictObject({ windowDays: windowDays.optional() }),
    operation: {
      name: 'AggregateSignals',
      document: `query AggregateSignals($windowDays: Int) { aggregateSignals(windowDays: $windowDays) { windowDays activityVolume reactionCount commentCount postCount collectedAt validUntil } }`,
    },
    variables: ({ query }) => ({ windowDays: query.windowDays }),
    status: 200,
    result: ({ aggregateSignals: s }, { userId }) => ({
      userId,
      windowDays: s.windowDays,
      signals: {
        activityVolume: lower(s.activityVolume),
        reactionCount: lower(s.reactionCount),
        commentCount: lower(s.commentCount),
        postCount: lower(s.postCount),
      },
      collectedAt: s.collectedAt,
      validUntil: s.validUntil,
    }),
    response: z.object({ userId: z.uuid(), windowDays: z.number().int(), signals, collectedAt: z.string(), validUntil: z.string() }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/map/generate',
    summary: 'Place the nodes on the near / mid / far rings (same nodes and seed: same map) and keep the map',
    tag: 'relationship-map',
    auth: 'required',
    body: z.strictObject({
      nodes: z.array(
        z.strictObject({ id: z.string(), label: z.string(), customLabel: z.string().nullish(), userHint: distance.nullish() }),
      ),
      preferences: z.strictObject({ maxNodes: int('maxNodes').optional(), jitterEnabled: z.boolean().optional() }).optional(),
      seed: z.string().optional(),
    }),
    operation: {
      name: 'GenerateMap',
      document: `mutation GenerateMap($input: GenerateMapInput!) { generateMap(input: $input) { id generatedAt seed svgUrl nodes { ${NODE_FIELDS} } basis { facebookSignals userHints randomJitter } } }`,
    },
    variables: ({ body }) => ({
      input: {
        nodes: body.nodes.map((n) => ({ ...n, userHint: upper(n.userHint) })),
        maxNodes: body.preferences?.maxNodes,
        jitterEnabled: body.preferences?.jitterEnabled,
        seed: body.seed,
      },
    }),
    status: 200,
    result: ({ generateMap: m }) => ({
      mapId: m.id,
      generatedAt: m.generatedAt,
      nodes: m.nodes.map(toMapNode),
      basis: m.basis,
      seed: m.seed,
      svgUrl: m.svgUrl,
    }),
    response: z.object({ mapId: z.uuid(), generatedAt: z.string(), nodes: z.array(mapNode), basis, seed: z.string(), svgUrl: z.string() }),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/map/observation-text',
    summary: 'The observation-text templates (for offline generation)',
    tag: 'relationship-map',
    auth: 'required',
    operation: {
      name: 'ObservationTextTemplates',
      document: `query ObservationTextTemplates { observationTextTemplates { near mid far } }`,
    },
    variables: () => ({}),
    status: 200,
    result: ({ observationTextTemplates }) => ({ templates: observationTextTemplates }),
    response: z.object({ templates: z.object({ near: z.array(z.string()), mid: z.array(z.string()), far: z.array(z.string()) }) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/map/:mapId.svg',
    summary: "The map as a picture (image/svg+xml): rings, the user at the centre, each node with its label; the owner's only",
    tag: 'relationship-map',
    auth: 'required',
    params: z.strictObject({ mapId: uuid('mapId') }),
    operation: { name: 'RelationshipMapSvg', document: `query RelationshipMapSvg($id: ID!) { relationshipMap(id: $id) { svg } }` },
    variables: ({ params }) => ({ id: params.mapId }),
    status: 200,
    produces: 'image/svg+xml',
    response: z.string(),
    respond: async ({ relationshipMap }) => ({
      status: 200,
      contentType: 'image/svg+xml; charset=utf-8',
      headers: SVG_HEADERS,
      body: relationshipMap.svg,
    }),
  }),
];
