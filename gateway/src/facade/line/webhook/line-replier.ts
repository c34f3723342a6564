/**
 * Replies through `@line/bot-sdk`'s Messaging API client, pointed at LINE_API_URL. A reply token
 * is single use and short-lived, so a failed reply is logged, never retried with the event.
 */
import { type Logger, withTimeout } from '@app/platform/core';
import { messagingApi } from '@line/bot-sdk';

/** The SDK's fetch has no timeout: a hanging LINE must not hold the (serial) consumer. */
const TIMEOUT_MS = 5_000;

export type Replier = (replyToken: string, messages: messagingApi.Message[]) => Promise<boolean>;

export function lineReplier(options: { apiUrl: string; channelAccessToken: string; logger: Logger }): Replier {
  const client = new messagingApi.MessagingApiClient({ channelAccessToken: options.channelAccessToken, baseURL: options.apiUrl });
  return async (replyToken, messages) => {
    try {
      await withTimeout(client.replyMessage({ replyToken, messages }), TIMEOUT_MS, () => new Error(`no answer within ${TIMEOUT_MS} ms`));
      return true;
    } catch (err) {
      options.logger.warn({ err: describe(err) }, 'LINE reply failed (reply tokens are single use: not retried)');
      return false;
    }
  };
}

/** The SDK's HTTPFetchError carries LINE's status and body: enough to act on, without the token. */
function describe(err: unknown) {
  const e = err as { message?: string; status?: number; body?: string };
  return { message: e?.message ?? String(err), status: e?.status, body: e?.body };
}
