import { z } from 'zod';

export interface LineLoginClientOptions {
  /** LINE's API base URL, e.g. https://api.line.me (LINE_API_URL). */
  apiUrl: string;
  channelId: string;
  channelSecret: string;
  /** The redirect_uri of the authorize request, which the exchange must repeat. */
  callbackUrl: string;
  /** One time limit for the whole call, the answer's body included. */
  timeoutMs: number;
}

/** LINE refused the code (unknown, used, expired, wrong verifier or redirect_uri): the user has to sign in again. */
export class LineRefusedError extends Error {
  override name = 'LineRefusedError';
  constructor(
    readonly lineError: string,
    message: string,
  ) {
    super(message);
  }
}

/** LINE could not answer (network, time limit, 5xx, 429, malformed answer) or refused this service's channel credentials. */
export class LineUnavailableError extends Error {
  override name = 'LineUnavailableError';
}

// LINE adds fields without notice: unknown ones are ignored, never an error.
const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  id_token: z.string().min(1).optional(),
});
const errorResponse = z.object({ error: z.string().min(1).max(100), error_description: z.string().optional() });

/** The LINE Login v2.1 calls this service makes: only the code exchange (the ID token is verified locally). */
export class LineLoginClient {
  constructor(private readonly options: LineLoginClientOptions) {}

  /** POST /oauth2/v2.1/token: the authorization code plus its PKCE verifier, for LINE's tokens. */
  async exchangeCode(code: string, codeVerifier: string): Promise<{ accessToken: string; idToken?: string }> {
    const { apiUrl, channelId, channelSecret, callbackUrl, timeoutMs } = this.options;
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: callbackUrl,
      client_id: channelId,
      client_secret: channelSecret,
      code_verifier: codeVerifier,
    });
    let status: number;
    let text: string;
    try {
      const res = await fetch(new URL('/oauth2/v2.1/token', apiUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form,
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      // The cause is a network error (it never carries the form): fine for the logs.
      throw new LineUnavailableError(timedOut ? `LINE did not answer within ${timeoutMs} ms` : 'LINE could not be reached', { cause: err });
    }
    const body = parseJson(text);
    if (status === 200) {
      const parsed = tokenResponse.safeParse(body);
      if (!parsed.success) throw new LineUnavailableError("LINE's token answer was malformed");
      return { accessToken: parsed.data.access_token, idToken: parsed.data.id_token };
    }
    const error = errorResponse.safeParse(body);
    if (status >= 500 || status === 429 || !error.success) throw new LineUnavailableError(`LINE answered HTTP ${status}`);
    // Our channel id or secret is wrong: nothing the user can fix, so not their failure.
    if (error.data.error === 'invalid_client' || status === 401 || status === 403) {
      throw new LineUnavailableError(`LINE refused this service's channel credentials (${error.data.error}, HTTP ${status})`);
    }
    const description = scrub(error.data.error_description ?? '', [code, codeVerifier, channelSecret]);
    throw new LineRefusedError(error.data.error, `${error.data.error}${description ? ` (${description})` : ''}`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** LINE's description, short and without anything we sent it (it may echo a parameter back). */
function scrub(text: string, secrets: string[]): string {
  let out = text.slice(0, 200);
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out.replace(/[^\p{L}\p{N}\p{P}\p{Zs}]/gu, '');
}
