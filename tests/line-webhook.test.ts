/**
 * The LINE Messaging API webhook (seed 002) against the local fake of LINE. The shared platform
 * has no LINE channel, so this file runs its own gateway replica configured for the fake (same
 * Postgres, Redis, NATS namespace and subgraphs); LINE-linked accounts are registered accounts
 * with `line_user_id` set, as LINE Login leaves them.
 */
import { randomUUID } from 'node:crypto';
import { NatsEventBus, Subjects } from '@app/events';
import type { GatewayService } from '@app/gateway';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerRawBodyRoute } from '../gateway/src/facade/line/webhook/raw-body-route.js';
import { webhookHandler } from '../gateway/src/facade/line/webhook/webhook-route.js';
import { gql, registerAndLogin } from './support/client.js';
import { type FakeLine, startFakeLine } from './support/fake-line.js';
import {
  BENCH_PRESS,
  deliver,
  type LineTestEvent,
  lineNamespace,
  lineUser,
  newLineUserId,
  PUBLIC_URL,
  postWebhook,
  quickReplyLabels,
  repliesTo,
  replyTo,
  SQUAT,
  setRows,
  startLineGateway,
  workoutRows,
} from './support/line-webhook.js';
import { gatewayBase, rest } from './support/rest.js';
import { openDatabase } from './support/tokens.js';

const db = openDatabase();
let fake: FakeLine;
let gateway: GatewayService;
let base: string;
let bus: NatsEventBus;

const namespace = lineNamespace();

beforeAll(async () => {
  fake = await startFakeLine();
  ({ gateway, base } = await startLineGateway(fake, namespace));
  bus = await NatsEventBus.connect({ url: inject('env').NATS_URL!, namespace });
});
afterAll(async () => {
  await gateway?.close();
  await bus?.deleteNamespaceStreams();
  await bus?.close();
  await fake?.close();
  await db.end();
});

const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));
const tap = (sub: string, data: string) => fake.events.postback(sub, data) as LineTestEvent;
const say = (sub: string, text: string) => fake.events.text(sub, text) as LineTestEvent;
/** Delivers one event and returns the first message of its reply. */
async function converse(event: LineTestEvent) {
  await deliver(base, fake, event);
  return (await replyTo(fake, event))[0];
}
const addSet = (exerciseId: string, reps: number | string, weight: number | string = '') =>
  `action=add_set&exerciseId=${exerciseId}&reps=${reps}&weight=${weight}`;

describe('the door', () => {
  it('answers 503 saying what is missing where LINE is not configured (the shared gateway)', async () => {
    const res = await postWebhook(gatewayBase(), fake, fake.events.batch(fake.events.follow(newLineUserId())));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('LINE_CHANNEL_SECRET') });
  });

  it('refuses a missing or wrong signature with 401; nothing is processed or written', async () => {
    const user = await lineUser(db);
    const event = tap(user.sub, 'action=start');
    const body = fake.events.batch(event);
    const forged = fake.sign(JSON.stringify(fake.events.batch(tap(user.sub, 'action=today'))));
    for (const signature of [null, '', 'not-base64!', forged, Buffer.from('x'.repeat(32)).toString('base64')]) {
      const res = await postWebhook(base, fake, body, signature);
      expect(res.status).toBe(401);
      expect((await res.json()).code).toBe('UNAUTHENTICATED');
    }
    // The same bytes, re-serialised with different spacing: the signature covers the raw body.
    const spaced = await fetch(`${base}/line/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-line-signature': fake.sign(JSON.stringify(body)) },
      body: JSON.stringify(body, null, 1),
    });
    expect(spaced.status).toBe(401);
    await settle();
    expect(repliesTo(fake, event)).toEqual([]);
    expect(await workoutRows(db, user.id)).toEqual([]);
  });

  it("answers LINE's verification request (no events) with 200", async () => {
    const res = await postWebhook(base, fake, fake.events.batch());
    expect(res.status).toBe(200);
  });

  it('refuses a signed body that is not a webhook body with 400', async () => {
    const res = await postWebhook(base, fake, { hello: 'world' });
    expect(res.status).toBe(400);
  });
});

describe('who is talking', () => {
  it('a LINE user without an account gets the login link and nothing else', async () => {
    const sub = newLineUserId();
    for (const event of [fake.events.follow(sub), tap(sub, 'action=start'), say(sub, 'セット ベンチプレス 10 60')]) {
      await deliver(base, fake, event);
      const messages = await replyTo(fake, event);
      expect(messages).toEqual([{ type: 'text', text: expect.stringContaining(`${PUBLIC_URL}/api/auth/line/login`) }]);
    }
  });

  it('follow: a greeting with the four buttons', async () => {
    const user = await lineUser(db);
    const message = await converse(fake.events.follow(user.sub) as LineTestEvent);
    expect(message.text).toContain('友だち追加ありがとうございます');
    expect(quickReplyLabels(message)).toEqual(['開始', '記録', '終了', '今日']);
    for (const item of message.quickReply.items) expect(item.action).toMatchObject({ type: 'postback', displayText: item.action.label });
  });

  it('anything else gets the help with the buttons', async () => {
    const user = await lineUser(db);
    const message = await converse(say(user.sub, 'こんにちは'));
    expect(message.text).toContain('使い方');
    expect(quickReplyLabels(message)).toEqual(['開始', '記録', '終了', '今日']);
  });
});

describe('a workout from the chat', () => {
  it('start, pick an exercise, a preset, a typed set, today, end: what the web shows too', async () => {
    const user = await lineUser(db);
    expect((await converse(tap(user.sub, 'action=start'))).text).toContain('ワークアウトを開始しました');
    const [workout] = await workoutRows(db, user.id);
    expect(workout).toMatchObject({ ended_at: null });
    expect((await converse(say(user.sub, '開始'))).text).toContain('すでにワークアウト中です');
    expect(await workoutRows(db, user.id)).toHaveLength(1);

    // 記録 -> a page of exercises as buttons (at most 13, the last one "next").
    const list = await converse(say(user.sub, '記録'));
    const items = list.quickReply.items;
    expect(items.length).toBeLessThanOrEqual(13);
    expect(items.at(-1).action.label).toBe('次へ ▶');
    for (const item of items) expect(item.action.label.length).toBeLessThanOrEqual(20);
    const bench = items.find((i: any) => i.action.label === 'ベンチプレス');
    expect(bench.action.data).toBe(`action=choose_exercise&exerciseId=${BENCH_PRESS}`);
    // ... choosing one offers reps x weight presets that add a set.
    const presets = await converse(tap(user.sub, bench.action.data));
    const preset = presets.quickReply.items.find((i: any) => i.action.label === '10回×60kg');
    expect(preset.action.data).toBe(addSet(BENCH_PRESS, 10, 60));
    expect((await converse(tap(user.sub, preset.action.data))).text).toContain('ベンチプレス 10回×60kg を記録しました');
    // Any value can be typed (full-width digits too).
    expect((await converse(say(user.sub, 'セット ベンチプレス ８回 70kg'))).text).toContain('ベンチプレス 8回×70kg');
    expect((await converse(say(user.sub, 'set squat 5 100'))).text).toContain('スクワット 5回×100kg');
    expect(await setRows(db, user.id)).toEqual([
      { workout_id: workout!.id, exercise_id: BENCH_PRESS, set_index: 0, reps: 10, weight_kg: 60 },
      { workout_id: workout!.id, exercise_id: BENCH_PRESS, set_index: 1, reps: 8, weight_kg: 70 },
      { workout_id: workout!.id, exercise_id: SQUAT, set_index: 2, reps: 5, weight_kg: 100 },
    ]);

    const today = await converse(tap(user.sub, 'action=today'));
    expect(today.type, today.text).toBe('flex');
    expect(today.altText).toContain('2種目・3セット・合計 1,660kg');
    const flex = JSON.stringify(today.contents);
    for (const text of ['ベンチプレス', '1,160kg', '10回×60kg / 8回×70kg', 'スクワット', '500kg', '合計 1,660kg'])
      expect(flex).toContain(text);

    expect((await converse(say(user.sub, '終了'))).text).toContain('3セット・総ボリューム 1,660kg');
    expect((await workoutRows(db, user.id))[0]!.ended_at).toBeInstanceOf(Date);
    expect((await converse(tap(user.sub, 'action=end'))).text).toContain('終了できるワークアウトがありません');

    // The same person signed in on the web sees the same workout and sets.
    const web = await rest('GET', '/api/workouts', { token: user.accessToken });
    expect(web.body.items.map((w: any) => w.id)).toEqual([workout!.id]);
    expect(web.body.items[0].endedAt).not.toBeNull();
    const detail = await rest('GET', `/api/workouts/${workout!.id}/detail`, { token: user.accessToken });
    expect(detail.body.sets.map((s: any) => [s.exerciseId, s.reps, s.weightKg])).toEqual([
      [BENCH_PRESS, 10, 60],
      [BENCH_PRESS, 8, 70],
      [SQUAT, 5, 100],
    ]);
  });

  it('bad input gets a reply saying what is wrong, and nothing is written', async () => {
    const user = await lineUser(db);
    expect((await converse(tap(user.sub, addSet(BENCH_PRESS, 10, 60)))).text).toContain('進行中のワークアウトがありません');
    expect((await converse(say(user.sub, '終了'))).text).toContain('終了できるワークアウトがありません');
    await converse(tap(user.sub, 'action=start'));

    const other = await registerAndLogin('line_other');
    const created = await gql(
      `mutation($i: CreateExerciseInput!) { createExercise(input: $i) { id } }`,
      { i: { name: `秘密の種目 ${randomUUID().slice(0, 6)}`, type: 'strength' } },
      { token: other.accessToken },
    );
    const privateId = created.body.data!.createExercise.id;
    const cases: [LineTestEvent, string][] = [
      [tap(user.sub, addSet(privateId, 10, 60)), '種目が見つかりません'],
      [tap(user.sub, addSet(randomUUID(), 10, 60)), '種目が見つかりません'],
      [tap(user.sub, addSet(BENCH_PRESS, 0, 60)), '回数は1〜1000の整数'],
      [tap(user.sub, addSet(BENCH_PRESS, -3, 60)), '回数は1〜1000の整数'],
      [tap(user.sub, addSet(BENCH_PRESS, 10, -5)), '重量は0より大きく'],
      [tap(user.sub, addSet(BENCH_PRESS, 10, 'abc')), '重量は0より大きく'],
      [tap(user.sub, 'action=add_set&exerciseId=not-an-id&reps=10'), '種目の指定が正しくありません'],
      [tap(user.sub, `action=choose_exercise&exerciseId=${privateId}`), '種目が見つかりません'],
      [say(user.sub, 'セット 存在しない種目 10 60'), '種目が見つかりません'],
      [say(user.sub, 'セット ベンチプレス 0 60'), '回数は1〜1000の整数'],
      [say(user.sub, 'セット ベンチプレス 10 0'), '重量は0より大きく'],
      [say(user.sub, 'セット ベンチプレス'), '使い方'],
    ];
    for (const [event, expected] of cases) {
      const message = await converse(event);
      expect(message.text, JSON.stringify(event)).toContain(expected);
      expect(quickReplyLabels(message)).toEqual(['開始', '記録', '終了', '今日']);
    }
    expect(await setRows(db, user.id)).toEqual([]);
  });
});

describe('delivery', () => {
  it('a batch of several users’ events: each processed once, in order per user', async () => {
    const [a, b] = [await lineUser(db), await lineUser(db)];
    const events = [
      tap(a.sub, 'action=start'),
      tap(b.sub, 'action=start'),
      tap(a.sub, addSet(BENCH_PRESS, 10, 60)),
      say(b.sub, 'セット スクワット 5 100'),
      tap(a.sub, addSet(BENCH_PRESS, 8, 70)),
      tap(a.sub, 'action=end'),
      tap(b.sub, 'action=today'),
    ];
    await deliver(base, fake, ...events);
    await Promise.all(events.map((e) => replyTo(fake, e)));
    await settle();
    for (const event of events) expect(repliesTo(fake, event)).toHaveLength(1);
    const order = (user: { sub: string }) =>
      events.filter((e: any) => e.source.userId === user.sub).map((e) => fake.replies.findIndex((r) => r.replyToken === e.replyToken));
    expect(order(a)).toEqual([...order(a)].sort((x, y) => x - y));
    expect(order(b)).toEqual([...order(b)].sort((x, y) => x - y));
    expect((await setRows(db, a.id)).map((s) => [s.set_index, s.reps, s.weight_kg])).toEqual([
      [0, 10, 60],
      [1, 8, 70],
    ]);
    expect((await workoutRows(db, a.id))[0]!.ended_at).not.toBeNull();
    expect((await setRows(db, b.id)).map((s) => [s.exercise_id, s.reps])).toEqual([[SQUAT, 5]]);
    expect((await replyTo(fake, events[6]!))[0].type).toBe('flex');
  });

  it('a redelivered event (same webhookEventId) is processed once: soon after, and days after (past the dedupe window)', async () => {
    const user = await lineUser(db);
    await converse(tap(user.sub, 'action=start'));
    const event = tap(user.sub, addSet(BENCH_PRESS, 10, 60));
    await converse(event);
    const redelivered = { ...event, deliveryContext: { isRedelivery: true } };
    await deliver(base, fake, redelivered);
    // Past JetStream's 2-minute window the bus no longer drops it: the processed-marker must.
    const { destination } = fake.events.batch();
    await bus.publish(
      Subjects.LineWebhookReceived,
      { destination, receivedAt: new Date().toISOString(), event: redelivered as never },
      { msgId: randomUUID() },
    );
    // Serial consumer: once a later event of the user is answered, the copies were handled.
    await converse(tap(user.sub, 'action=today'));
    expect(await setRows(db, user.id)).toHaveLength(1);
    expect(repliesTo(fake, event)).toHaveLength(1);
  });

  it('a replica killed right after answering 200 loses nothing: the next one processes the event', async () => {
    const user = await lineUser(db);
    // Only this file's gateway consumes; stop it, so the event waits in JetStream.
    await gateway.close();
    // A replica that stores and answers, and dies before its consumer runs.
    const dying = Fastify();
    await registerRawBodyRoute(dying, webhookHandler({ channelSecret: fake.messaging.channelSecret, bus }));
    const dyingBase = `http://127.0.0.1:${(await dying.listen({ port: 0, host: '127.0.0.1' })).split(':').at(-1)}`;
    const event = tap(user.sub, 'action=start');
    const res = await postWebhook(dyingBase, fake, fake.events.batch(event));
    expect(res.status).toBe(200);
    await dying.close();
    await settle();
    expect(repliesTo(fake, event)).toEqual([]);
    expect(await workoutRows(db, user.id)).toEqual([]);

    ({ gateway, base } = await startLineGateway(fake, namespace));
    expect((await replyTo(fake, event))[0].text).toContain('ワークアウトを開始しました');
    expect(await workoutRows(db, user.id)).toHaveLength(1);
  });

  it('a failed reply (LINE down) is logged, not retried: the next event is processed', async () => {
    const user = await lineUser(db);
    fake.setMode('down');
    const lost = tap(user.sub, 'action=start');
    await deliver(base, fake, lost).catch(() => {});
    await settle(800);
    fake.setMode('ok');
    expect(await workoutRows(db, user.id)).toHaveLength(1);
    expect((await converse(say(user.sub, '開始'))).text).toContain('すでにワークアウト中です');
    expect(repliesTo(fake, lost)).toEqual([]);
  });
});
