/**
 * A local stand-in for LINE, on 127.0.0.1 only: the LINE Login v2.1 endpoints the platform calls
 * (authorize, token, verify, profile) and the Messaging API reply endpoint, with LINE's status
 * codes and error bodies. One server answers both hosts' paths: point LINE_AUTH_URL (access.line.me)
 * and LINE_API_URL (api.line.me) at `url`. Web-login ID tokens are HS256 JWTs signed with the
 * channel secret, as LINE documents; codes are single use, bound to the authorize request, 10 min.
 */
import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

export interface FakeLineUser {
  sub: string /* 'U' + 32 hex */;
  name: string;
  picture?: string;
  email?: string;
}
type Replies = { replyToken: string; messages: any[]; at: Date }[];
export interface FakeLine {
  url: string;
  login: { channelId: string; channelSecret: string };
  messaging: { channelSecret: string; channelAccessToken: string };
  addUser(user: FakeLineUser): void;
  /** The next GET /oauth2/v2.1/authorize signs in as this user (or refuses: the user pressed Cancel -> error=access_denied). */
  nextAuthorize(outcome: { sub: string } | { deny: true }): void;
  /** Changes the claims of the next ID token issued (wrong aud/iss/nonce, expired exp, bad signature). */
  tamperNextIdToken(change: { aud?: string; iss?: string; nonce?: string; exp?: number; signWith?: string }): void;
  /** Every reply the Messaging API accepted, in order. */
  replies: Replies;
  waitForReplies(count: number, timeoutMs?: number): Promise<Replies>;
  /** x-line-signature of a webhook body, as LINE computes it with the Messaging channel secret. */
  sign(body: string): string;
  /** Webhook events as LINE sends them; each has a fresh webhookEventId and replyToken. */
  events: {
    follow(sub: string): object;
    text(sub: string, text: string): object;
    postback(sub: string, data: string): object;
    batch(...events: object[]): { destination: string; events: object[] };
  };
  /** down -> every endpoint answers 500; slow -> requests are never answered (until close). */
  setMode(mode: 'ok' | 'down' | 'slow'): void;
  /** Every request, in order: method and path only (query strings and bodies, where secrets travel, are not kept). */
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

export const LINE_ISSUER = 'https://access.line.me';
const CODE_TTL_MS = 10 * 60_000;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
/** LINE message ids are 18-digit decimal strings. */
const messageId = () => `${randomInt(1e8, 1e9)}${randomInt(1e8, 1e9)}`;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** webhookEventId is a ULID: 10 characters of time, 16 random. */
const ulid = () => {
  let time = Date.now(),
    head = '';
  for (let i = 0; i < 10; i++, time = Math.floor(time / 32)) head = CROCKFORD[time % 32] + head;
  return head + Array.from({ length: 16 }, () => CROCKFORD[randomInt(32)]).join('');
};

// LINE's bodies, word for word where its reference gives them.
const NO_AUTH_HEADER = { message: "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'" };
const BAD_TOKEN = { message: 'Authentication failed. Confirm that the access token in the authorization header is valid.' };
const oauthError = (error: string, description: string) => ({ error, error_description: description });

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge?: string;
  nonce?: string;
  scope: string[];
  sub: string;
  expiresAt: number;
}
type Tamper = Parameters<FakeLine['tamperNextIdToken']>[0];

export interface FakeLineOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Fixed channel credentials (a developer's fake keeps them across restarts); default random. */
  login?: FakeLine['login'];
  messaging?: FakeLine['messaging'];
  /** Who an authorize request signs in as when no nextAuthorize() is queued (a developer's fake). */
  defaultUser?: FakeLineUser;
}

export async function startFakeLine(options: FakeLineOptions = {}): Promise<FakeLine> {
  const login = options.login ?? { channelId: String(randomInt(1_000_000_000, 2_000_000_000)), channelSecret: hex(16) };
  const messaging = options.messaging ?? { channelSecret: hex(16), channelAccessToken: randomBytes(128).toString('base64') };
  const botUserId = `U${hex(16)}`;
  const users = new Map<string, FakeLineUser>(options.defaultUser ? [[options.defaultUser.sub, options.defaultUser]] : []);
  const outcomes: ({ sub: string } | { deny: true })[] = [];
  const tampers: Tamper[] = [];
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Map<string, { sub: string; scope: string[] }>();
  const replyTokens = new Map<string, 'issued' | 'used'>();
  const replies: Replies = [];
  const requests: FakeLine['requests'] = [];
  const sockets = new Set<Socket>();
  let mode: 'ok' | 'down' | 'slow' = 'ok';

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-line-request-id': hex(16) });
    res.end(JSON.stringify(body));
  };
  const redirect = (res: ServerResponse, to: string, params: Record<string, string | undefined>) => {
    const target = new URL(to);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) target.searchParams.set(k, v);
    res.writeHead(302, { location: target.toString() }).end();
  };
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const form = async (req: IncomingMessage) =>
    /^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '') ? new URLSearchParams(await readBody(req)) : null;
  const bearer = (req: IncomingMessage) => /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];

  function authorize(res: ServerResponse, q: URLSearchParams) {
    const redirectUri = q.get('redirect_uri');
    // LINE shows its own error page (no redirect) when client_id or redirect_uri is wrong.
    if (q.get('client_id') !== login.channelId)
      return res.writeHead(400, { 'content-type': 'text/plain' }).end('400 Bad Request: invalid client_id');
    if (!redirectUri || !URL.canParse(redirectUri))
      return res.writeHead(400, { 'content-type': 'text/plain' }).end('400 Bad Request: invalid redirect_uri value');
    const state = q.get('state') ?? undefined;
    const fail = (error: string, description: string) => redirect(res, redirectUri, { error, error_description: description, state });
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'Unsupported response_type value');
    if (!state) return fail('invalid_request', 'state is required');
    const scope = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (!scope.includes('openid') && !scope.includes('profile')) return fail('invalid_scope', 'profile or openid is required');
    const challenge = q.get('code_challenge') ?? undefined;
    if (challenge && q.get('code_challenge_method') !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
    const outcome = outcomes.shift() ?? (options.defaultUser ? { sub: options.defaultUser.sub } : undefined);
    if (!outcome)
      return res.writeHead(500, { 'content-type': 'text/plain' }).end('fake LINE: call nextAuthorize() before each authorize request');
    if ('deny' in outcome) return fail('access_denied', 'The resource owner denied the request.');
    if (!users.has(outcome.sub)) throw new Error(`fake LINE: unknown user ${outcome.sub}; addUser() it first`);
    const code = randomBytes(15).toString('base64url');
    codes.set(code, {
      clientId: login.channelId,
      redirectUri,
      challenge,
      nonce: q.get('nonce') ?? undefined,
      scope,
      sub: outcome.sub,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    redirect(res, redirectUri, { code, state });
  }

  async function idToken(pending: PendingCode): Promise<string> {
    const user = users.get(pending.sub)!;
    const change = tampers.shift() ?? {};
    const iat = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: change.iss ?? LINE_ISSUER,
      sub: user.sub,
      aud: change.aud ?? login.channelId,
      exp: change.exp ?? iat + 3600,
      iat,
      amr: ['linesso'],
    };
    const nonce = change.nonce ?? pending.nonce;
    if (nonce !== undefined) claims.nonce = nonce;
    if (pending.scope.includes('profile')) Object.assign(claims, { name: user.name, ...(user.picture ? { picture: user.picture } : {}) });
    if (pending.scope.includes('email') && user.email) claims.email = user.email;
    return new SignJWT(claims)
      .setProtectedHeader({ typ: 'JWT', alg: 'HS256' })
      .sign(new TextEncoder().encode(change.signWith ?? login.channelSecret));
  }

  async function token(req: IncomingMessage, res: ServerResponse) {
    const body = await form(req);
    if (!body) return send(res, 400, oauthError('invalid_request', 'some parameters missed or invalid'));
    if (body.get('grant_type') !== 'authorization_code')
      return send(res, 400, oauthError('unsupported_grant_type', 'unsupported grant_type'));
    if (body.get('client_id') !== login.channelId || body.get('client_secret') !== login.channelSecret) {
      return send(res, 400, oauthError('invalid_client', 'invalid client_id or client_secret'));
    }
    const code = body.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code); // presented once, gone: a failed attempt uses the code up too
    if (!pending || pending.expiresAt < Date.now() || pending.clientId !== body.get('client_id'))
      return send(res, 400, oauthError('invalid_grant', 'invalid authorization code'));
    if (pending.redirectUri !== body.get('redirect_uri')) return send(res, 400, oauthError('invalid_grant', 'redirect_uri does not match'));
    if (pending.challenge && s256(body.get('code_verifier') ?? '') !== pending.challenge)
      return send(res, 400, oauthError('invalid_grant', 'invalid code_verifier'));
    const accessToken = randomBytes(96).toString('base64url');
    accessTokens.set(accessToken, { sub: pending.sub, scope: pending.scope });
    send(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      refresh_token: randomBytes(15).toString('base64url'),
      expires_in: 2_592_000,
      scope: pending.scope.filter((s) => s !== 'email').join(' '), // LINE never lists email here
      ...(pending.scope.includes('openid') ? { id_token: await idToken(pending) } : {}),
    });
  }

  async function verify(req: IncomingMessage, res: ServerResponse) {
    const body = await form(req);
    const invalid = (description: string) => send(res, 400, oauthError('invalid_request', description));
    if (!body?.get('id_token') || !body.get('client_id')) return invalid('some parameters missed or invalid');
    try {
      const { payload } = await jwtVerify(body.get('id_token')!, new TextEncoder().encode(login.channelSecret), { algorithms: ['HS256'] });
      if (payload.iss !== LINE_ISSUER) return invalid('Invalid IdToken Issuer.');
      if (payload.aud !== body.get('client_id')) return invalid('Invalid IdToken Audience.');
      if (body.get('nonce') && payload.nonce !== body.get('nonce')) return invalid('Invalid IdToken Nonce.');
      if (body.get('user_id') && payload.sub !== body.get('user_id')) return invalid('Invalid IdToken Subject Identifier.');
      send(res, 200, payload);
    } catch (err) {
      invalid(err instanceof joseErrors.JWTExpired ? 'IdToken expired.' : 'Invalid IdToken.');
    }
  }

  function profile(req: IncomingMessage, res: ServerResponse) {
    const presented = bearer(req);
    if (!presented) return send(res, 401, NO_AUTH_HEADER);
    const grant = accessTokens.get(presented);
    if (!grant) return send(res, 401, BAD_TOKEN);
    if (!grant.scope.includes('profile')) return send(res, 403, { message: 'Not allowed to use the API: the profile scope is required' });
    const user = users.get(grant.sub)!;
    send(res, 200, { userId: user.sub, displayName: user.name, ...(user.picture ? { pictureUrl: user.picture } : {}) });
  }

  async function reply(req: IncomingMessage, res: ServerResponse) {
    const presented = bearer(req);
    if (!presented) return send(res, 401, NO_AUTH_HEADER);
    if (presented !== messaging.channelAccessToken) return send(res, 401, BAD_TOKEN);
    let body: { replyToken?: unknown; messages?: unknown };
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, { message: 'The request body could not be parsed as JSON' });
    }
    const details: { message: string; property: string }[] = [];
    if (typeof body?.replyToken !== 'string' || !body.replyToken) details.push({ message: 'Must not be empty', property: 'replyToken' });
    const messages = Array.isArray(body?.messages) ? body.messages : [];
    if (messages.length < 1 || messages.length > 5) details.push({ message: 'Size must be between 1 and 5', property: 'messages' });
    messages.forEach((m: any, i: number) => {
      if (typeof m?.type !== 'string')
        details.push({
          message: 'Must be one of the following values: [text, image, video, audio, location, sticker, template, imagemap, flex]',
          property: `messages[${i}].type`,
        });
      else if (m.type === 'text' && (typeof m.text !== 'string' || !m.text))
        details.push({ message: 'May not be empty', property: `messages[${i}].text` });
    });
    if (details.length) return send(res, 400, { message: `The request body has ${details.length} error(s)`, details });
    const replyToken = body.replyToken as string;
    if (replyTokens.get(replyToken) !== 'issued') return send(res, 400, { message: 'Invalid reply token' });
    replyTokens.set(replyToken, 'used');
    replies.push({ replyToken, messages, at: new Date() });
    send(res, 200, { sentMessages: messages.map(() => ({ id: messageId(), quoteToken: randomBytes(24).toString('base64url') })) });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', path: url.pathname });
    if (mode === 'slow') return; // never answered; close() ends the socket
    if (mode === 'down') return send(res, 500, { message: 'Internal server error' });
    const route = `${req.method} ${url.pathname}`;
    const handle = async () =>
      route === 'GET /oauth2/v2.1/authorize'
        ? authorize(res, url.searchParams)
        : route === 'POST /oauth2/v2.1/token'
          ? token(req, res)
          : route === 'POST /oauth2/v2.1/verify'
            ? verify(req, res)
            : route === 'GET /v2/profile'
              ? profile(req, res)
              : route === 'POST /v2/bot/message/reply'
                ? reply(req, res)
                : send(res, 404, { message: 'Not found' });
    handle().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`fake LINE: ${err.message}`);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const event = (sub: string, type: string) => {
    const replyToken = hex(16);
    replyTokens.set(replyToken, 'issued');
    return {
      type,
      mode: 'active',
      timestamp: Date.now(),
      source: { type: 'user', userId: sub },
      webhookEventId: ulid(),
      deliveryContext: { isRedelivery: false },
      replyToken,
    };
  };

  return {
    url,
    login,
    messaging,
    addUser: (user) => void users.set(user.sub, user),
    nextAuthorize: (outcome) => void outcomes.push(outcome),
    tamperNextIdToken: (change) => void tampers.push(change),
    replies,
    async waitForReplies(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (replies.length < count) {
        if (Date.now() > deadline)
          throw new Error(`fake LINE: ${replies.length} of ${count} replies within ${timeoutMs} ms: ${JSON.stringify(replies)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return [...replies];
    },
    sign: (body) => createHmac('sha256', messaging.channelSecret).update(body).digest('base64'),
    events: {
      follow: (sub) => ({ ...event(sub, 'follow'), follow: { isUnblocked: false } }),
      text: (sub, text) => ({
        ...event(sub, 'message'),
        message: { id: messageId(), type: 'text', quoteToken: randomBytes(24).toString('base64url'), text },
      }),
      postback: (sub, data) => ({ ...event(sub, 'postback'), postback: { data } }),
      batch: (...events) => ({ destination: botUserId, events }),
    },
    setMode: (next) => void (mode = next),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
