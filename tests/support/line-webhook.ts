/**
 * Helpers for the LINE webhook tests: a gateway replica configured for the local fake of LINE,
 * LINE-linked accounts, signed deliveries, and read-only looks at what was written.
 */
import { randomBytes } from 'node:crypto';
import { buildGateway, type GatewayService, loadGatewayConfig } from '@app/gateway';
import type pg from 'pg';
import { expect } from 'vitest';
import { eventually, platformEnv, registerAndLogin, type TestUser } from './client.js';
import type { FakeLine } from './fake-line.js';

export const PUBLIC_URL = 'https://fit.example.com';
/** Seeded global exercises (fixed ids). */
export const BENCH_PRESS = '18d0185e-292a-5034-a18f-8533db4e8435';
export const SQUAT = '1c5d3275-e142-58d9-acfe-94096388e3ec';

/** What the fake's events carry that the tests look at. */
export interface LineTestEvent {
  webhookEventId: string;
  replyToken: string;
  deliveryContext: { isRedelivery: boolean };
}
export interface LineUser extends TestUser {
  sub: string;
}

/**
 * A NATS namespace of the file's own: the LINE events and their durable consumer are then this
 * file's alone, even if another test file runs a LINE-configured gateway at the same time.
 */
export const lineNamespace = () => `tline${randomBytes(4).toString('hex')}`;

export const lineEnv = (fake: FakeLine, natsNamespace: string): Record<string, string> => ({
  ...platformEnv(),
  NATS_NAMESPACE: natsNamespace,
  LINE_CHANNEL_SECRET: fake.messaging.channelSecret,
  LINE_CHANNEL_ACCESS_TOKEN: fake.messaging.channelAccessToken,
  LINE_API_URL: fake.url,
  LINE_AUTH_URL: fake.url,
  PUBLIC_URL,
});

/** A gateway replica for the fake; returns it with its base URL. */
export async function startLineGateway(fake: FakeLine, natsNamespace: string): Promise<{ gateway: GatewayService; base: string }> {
  const gateway = await buildGateway({ config: loadGatewayConfig(lineEnv(fake, natsNamespace)) });
  return { gateway, base: `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}` };
}

export const newLineUserId = () => `U${randomBytes(16).toString('hex')}`;

/** A web account linked to a new LINE user, as LINE Login would leave it (set in auth.users directly). */
export async function lineUser(db: pg.Pool): Promise<LineUser> {
  const user = await registerAndLogin('line');
  const sub = newLineUserId();
  await db.query('update auth.users set line_user_id = $1 where id = $2', [sub, user.id]);
  return { ...user, sub };
}

/** POSTs a webhook body, signed as LINE signs it unless `signature` says otherwise (null: no header). */
export async function postWebhook(base: string, fake: FakeLine, body: object, signature?: string | null) {
  const raw = JSON.stringify(body);
  const sig = signature === undefined ? fake.sign(raw) : signature;
  return fetch(`${base}/line/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(sig === null ? {} : { 'x-line-signature': sig }) },
    body: raw,
  });
}

/** Delivers one signed batch and expects LINE's 200 `{}`. */
export async function deliver(base: string, fake: FakeLine, ...events: object[]) {
  const res = await postWebhook(base, fake, fake.events.batch(...events));
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await res.json()).toEqual({});
}

export const repliesTo = (fake: FakeLine, event: object) =>
  fake.replies.filter((r) => r.replyToken === (event as LineTestEvent).replyToken);

/** The messages of the reply to `event`, once the fake has it. */
export async function replyTo(fake: FakeLine, event: object): Promise<any[]> {
  const reply = await eventually(async () => repliesTo(fake, event)[0]);
  return reply.messages;
}

export const quickReplyLabels = (message: any): string[] => message.quickReply?.items.map((i: any) => i.action.label) ?? [];

export async function workoutRows(db: pg.Pool, userId: string) {
  const { rows } = await db.query('select id, started_at, ended_at from workouts.workouts where user_id = $1 order by started_at', [
    userId,
  ]);
  return rows as { id: string; started_at: Date; ended_at: Date | null }[];
}

export async function setRows(db: pg.Pool, userId: string) {
  const { rows } = await db.query(
    'select workout_id, exercise_id, set_index, reps, weight_kg::float as weight_kg from workouts.workout_sets where user_id = $1 order by workout_id, set_index',
    [userId],
  );
  return rows as { workout_id: string; exercise_id: string; set_index: number; reps: number; weight_kg: number | null }[];
}
