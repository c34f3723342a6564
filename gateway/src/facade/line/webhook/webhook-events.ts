/**
 * The LINE webhook body (`{ destination, events[] }`) and its events, parsed with zod into a typed
 * union. Loose on purpose: LINE adds fields and event types without notice, and a webhook that
 * refused them would be redelivered forever; an unknown event type becomes `other` and is ignored.
 */
import { z } from 'zod';

export const LineEventKind = {
  Follow: 'follow',
  Unfollow: 'unfollow',
  Text: 'text',
  Postback: 'postback',
  Other: 'other',
} as const;

/** LINE user ids: 'U' and 32 lowercase hex digits. */
const LINE_USER_ID = /^U[0-9a-f]{32}$/;

/** What every event carries; the fields the bus needs (id, time, type) are required. */
export const rawLineEventSchema = z.looseObject({
  type: z.string().min(1),
  webhookEventId: z.string().min(1).max(64),
  timestamp: z.number().int().nonnegative(),
  mode: z.string().optional(),
  replyToken: z.string().min(1).optional(),
  deliveryContext: z.looseObject({ isRedelivery: z.boolean() }).optional(),
  source: z.looseObject({ type: z.string(), userId: z.string().optional() }).optional(),
});
export type RawLineEvent = z.infer<typeof rawLineEventSchema>;

const webhookBodySchema = z.looseObject({ destination: z.string().min(1), events: z.array(rawLineEventSchema) });

const textMessage = z.looseObject({ message: z.looseObject({ type: z.literal('text'), text: z.string() }) });
const postback = z.looseObject({ postback: z.looseObject({ data: z.string() }) });

interface LineEventBase {
  webhookEventId: string;
  /** When the user acted (ms since epoch); the same on a redelivery. */
  timestamp: number;
  isRedelivery: boolean;
  /** False in standby mode (another channel has the chat): such events are not acted on. */
  active: boolean;
  /** Absent when the event cannot be replied to (unfollow, standby mode). */
  replyToken?: string;
  /** The signed event's `source.userId` of a one-to-one chat: the only way a LINE user is identified. */
  lineUserId?: string;
}

export type LineEvent = LineEventBase &
  (
    | { kind: typeof LineEventKind.Follow }
    | { kind: typeof LineEventKind.Unfollow }
    | { kind: typeof LineEventKind.Text; text: string }
    | { kind: typeof LineEventKind.Postback; data: string }
    | { kind: typeof LineEventKind.Other; type: string }
  );

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export interface WebhookBody {
  destination: string;
  /** As LINE sent them (what goes on the bus). */
  raw: RawLineEvent[];
  events: LineEvent[];
}

/** Parses a signature-checked raw body. */
export function parseWebhookBody(body: Buffer): Parsed<WebhookBody> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, error: 'The body is not JSON' };
  }
  const result = webhookBodySchema.safeParse(json);
  if (!result.success) return { ok: false, error: z.prettifyError(result.error) };
  const { destination, events } = result.data;
  return { ok: true, value: { destination, raw: events, events: events.map(toLineEvent) } };
}

/** Parses one event as stored on the bus. */
export function parseLineEvent(raw: unknown): Parsed<LineEvent> {
  const result = rawLineEventSchema.safeParse(raw);
  return result.success ? { ok: true, value: toLineEvent(result.data) } : { ok: false, error: z.prettifyError(result.error) };
}

function toLineEvent(raw: RawLineEvent): LineEvent {
  const userId = raw.source?.type === 'user' ? raw.source.userId : undefined;
  const base: LineEventBase = {
    webhookEventId: raw.webhookEventId,
    timestamp: raw.timestamp,
    isRedelivery: raw.deliveryContext?.isRedelivery ?? false,
    active: raw.mode !== 'standby',
    replyToken: raw.replyToken,
    lineUserId: userId && LINE_USER_ID.test(userId) ? userId : undefined,
  };
  if (raw.type === 'follow') return { ...base, kind: LineEventKind.Follow };
  if (raw.type === 'unfollow') return { ...base, kind: LineEventKind.Unfollow };
  if (raw.type === 'message') {
    const text = textMessage.safeParse(raw);
    if (text.success) return { ...base, kind: LineEventKind.Text, text: text.data.message.text };
  }
  if (raw.type === 'postback') {
    const data = postback.safeParse(raw);
    if (data.success) return { ...base, kind: LineEventKind.Postback, data: data.data.postback.data };
  }
  return {
    ...base,
    kind: LineEventKind.Other,
    type: raw.type === 'message' ? `message:${String((raw.message as { type?: unknown })?.type)}` : raw.type,
  };
}
