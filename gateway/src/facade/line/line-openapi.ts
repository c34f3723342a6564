/**
 * The LINE routes in the facade's OpenAPI document. They run no single GraphQL operation (a
 * redirect dance, a signed webhook), so they are described here rather than in the route table.
 */
const error = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } });
const redirect = (description: string) => ({ description, headers: { Location: { schema: { type: 'string' } } } });

export const lineOpenApiPaths = {
  '/api/auth/line/login': {
    get: {
      operationId: 'LineLoginStart',
      summary:
        'Start LINE Login: redirects to LINE with state, nonce and a PKCE S256 challenge (kept server-side, bound to this browser by a cookie)',
      tags: ['line'],
      security: [],
      responses: { 302: redirect("LINE's authorize page"), 503: errorResponse('LINE Login is not configured') },
    },
  },
  '/api/auth/line/callback': {
    get: {
      operationId: 'LineLoginCallback',
      summary:
        "LINE's redirect back: on success the session cookies are set; either way the browser goes to FRONTEND_URL (with ?error= when it failed)",
      tags: ['line'],
      security: [],
      parameters: [
        { name: 'code', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'state', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'error', in: 'query', required: false, schema: { type: 'string' }, description: 'access_denied when the user cancelled' },
      ],
      responses: {
        302: redirect('FRONTEND_URL, or FRONTEND_URL?error=access_denied | invalid_state | login_failed | server_error'),
        503: errorResponse('LINE Login is not configured'),
      },
    },
  },
  '/line/webhook': {
    post: {
      operationId: 'LineWebhook',
      summary:
        'Messaging API webhook: verified with x-line-signature over the raw body, stored durably, answered at once, processed once per webhookEventId',
      tags: ['line'],
      security: [],
      parameters: [
        {
          name: 'x-line-signature',
          in: 'header',
          required: true,
          schema: { type: 'string' },
          description: 'base64 HMAC-SHA256 of the raw body with the channel secret',
        },
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['destination', 'events'],
              properties: {
                destination: { type: 'string' },
                events: {
                  type: 'array',
                  description:
                    "LINE webhook event objects (follow, message, postback, ...); other fields and event types are accepted. An empty list is the console's URL verification.",
                  items: {
                    type: 'object',
                    required: ['type', 'webhookEventId', 'timestamp'],
                    properties: {
                      type: { type: 'string' },
                      webhookEventId: { type: 'string' },
                      timestamp: { type: 'integer' },
                      mode: { enum: ['active', 'standby'] },
                      replyToken: { type: 'string' },
                      deliveryContext: { type: 'object', properties: { isRedelivery: { type: 'boolean' } } },
                      source: { type: 'object', properties: { type: { type: 'string' }, userId: { type: 'string' } } },
                    },
                  },
                },
              },
            },
          },
        },
      },
      responses: {
        200: { description: 'Accepted (stored durably)', content: { 'application/json': { schema: { type: 'object' } } } },
        400: errorResponse('Not a webhook body'),
        401: errorResponse('Missing or invalid signature: nothing is processed'),
        413: errorResponse('Body over 1 MiB'),
        503: errorResponse('LINE is not configured, or the event store is unavailable (LINE redelivers)'),
      },
    },
  },
};
