import { describe, expect, it } from 'vitest';
import { commandOf, Problem } from '../src/facade/line/webhook/commands.js';
import { matchByName } from '../src/facade/line/webhook/exercise-names.js';
import { clockTime, dayOf } from '../src/facade/line/webhook/time-zone.js';
import { type LineEvent, parseLineEvent, parseWebhookBody } from '../src/facade/line/webhook/webhook-events.js';

const USER = `U${'a'.repeat(32)}`;
const base = {
  webhookEventId: '01H0000000000000000000000',
  timestamp: 1,
  isRedelivery: false,
  active: true,
  replyToken: 'r',
  lineUserId: USER,
};
const text = (t: string) => commandOf({ ...base, kind: 'text', text: t } as LineEvent);
const postback = (data: string) => commandOf({ ...base, kind: 'postback', data } as LineEvent);
const ID = '18d0185e-292a-5034-a18f-8533db4e8435';

describe('LINE commands', () => {
  it.each([
    ['開始', 'start'],
    ['start', 'start'],
    ['ＳＴＡＲＴ', 'start'],
    ['終了', 'end'],
    ['今日', 'today'],
    ['記録', 'pickExercise'],
    ['こんにちは', 'help'],
  ])('text %s -> %s', (t, type) => expect(text(t).type).toBe(type));

  it('reads the set form by name, number, with units and full-width digits, weight optional', () => {
    expect(text('セット ベンチプレス 10 60')).toEqual({
      type: 'addSet',
      exercise: { by: 'name', name: 'ベンチプレス' },
      reps: 10,
      weightKg: 60,
    });
    expect(text('set Bench Press 8 62.5')).toEqual({
      type: 'addSet',
      exercise: { by: 'name', name: 'Bench Press' },
      reps: 8,
      weightKg: 62.5,
    });
    expect(text('セット　３　１０回　６０ｋｇ')).toEqual({ type: 'addSet', exercise: { by: 'number', number: 3 }, reps: 10, weightKg: 60 });
    expect(text('セット 懸垂 8')).toEqual({ type: 'addSet', exercise: { by: 'name', name: '懸垂' }, reps: 8, weightKg: null });
  });

  it.each([
    ['セット ベンチプレス 0 60', Problem.reps],
    ['セット ベンチプレス 1.5 60', Problem.reps],
    ['セット ベンチプレス 10 0', Problem.weight],
    ['セット ベンチプレス 10 -5', Problem.weight],
    ['セット ベンチプレス 10 abc', Problem.weight],
    ['セット ベンチプレス 10 20000', Problem.weight],
    ['セット ベンチプレス', Problem.setUsage],
  ])('rejects %s', (t, reason) => expect(text(t)).toEqual({ type: 'invalid', reason }));

  it('reads postbacks and checks their values', () => {
    expect(postback(`action=add_set&exerciseId=${ID}&reps=10&weight=60`)).toEqual({
      type: 'addSet',
      exercise: { by: 'id', id: ID },
      reps: 10,
      weightKg: 60,
    });
    expect(postback(`action=add_set&exerciseId=${ID}&reps=10`)).toMatchObject({ weightKg: null });
    expect(postback(`action=add_set&exerciseId=${ID}&reps=0&weight=60`)).toEqual({ type: 'invalid', reason: Problem.reps });
    expect(postback('action=add_set&exerciseId=x&reps=1')).toEqual({ type: 'invalid', reason: Problem.exercise });
    expect(postback('action=pick_exercise&page=2')).toEqual({ type: 'pickExercise', page: 2 });
    expect(postback('action=pick_exercise&page=-1')).toEqual({ type: 'pickExercise', page: 0 });
    expect(postback('action=nope')).toEqual({ type: 'help' });
  });

  it('ignores events that ask nothing; answers other messages with the help', () => {
    expect(commandOf({ ...base, kind: 'unfollow' })).toEqual({ type: 'ignore' });
    expect(commandOf({ ...base, kind: 'other', type: 'join' })).toEqual({ type: 'ignore' });
    expect(commandOf({ ...base, kind: 'other', type: 'message:sticker' })).toEqual({ type: 'help' });
  });
});

describe('LINE events', () => {
  const event = (extra: object) => ({
    type: 'message',
    webhookEventId: 'W1',
    timestamp: 5,
    replyToken: 'r',
    mode: 'active',
    source: { type: 'user', userId: USER },
    ...extra,
  });

  it('parses a batch loosely: unknown types and fields are kept, typed as other', () => {
    const body = Buffer.from(
      JSON.stringify({
        destination: 'Ubot',
        events: [event({ message: { type: 'text', text: 'hi', newField: 1 } }), { ...event({}), type: 'membership', extra: true }],
      }),
    );
    const parsed = parseWebhookBody(body);
    expect(parsed.ok && parsed.value.events.map((e) => e.kind)).toEqual(['text', 'other']);
  });

  it('takes the LINE user only from a one-to-one source, and does not act in standby', () => {
    const group = parseLineEvent(event({ message: { type: 'text', text: 'hi' }, source: { type: 'group', groupId: 'C1', userId: USER } }));
    expect(group.ok && group.value.lineUserId).toBeUndefined();
    const standby = parseLineEvent(event({ mode: 'standby', message: { type: 'text', text: 'hi' } }));
    expect(standby.ok && standby.value.active).toBe(false);
  });

  it('refuses a body without events or an event without its id', () => {
    expect(parseWebhookBody(Buffer.from('{"destination":"U"}')).ok).toBe(false);
    expect(parseWebhookBody(Buffer.from(JSON.stringify({ destination: 'U', events: [{ type: 'follow', timestamp: 1 }] }))).ok).toBe(false);
    expect(parseWebhookBody(Buffer.from('not json')).ok).toBe(false);
  });
});

describe('exercise names and days', () => {
  const exercises = [
    { id: '1', name: 'Bench Press', isGlobal: true, isActive: true },
    { id: '2', name: 'Incline Bench Press', isGlobal: true, isActive: true },
    { id: '3', name: 'ベンチプレス', isGlobal: false, isActive: true },
  ];
  it('matches a stored name first, then the Japanese one, then a single partial match', () => {
    expect(matchByName(exercises, 'bench press')).toEqual({ found: exercises[0] });
    expect(matchByName(exercises, 'ベンチプレス')).toEqual({ found: exercises[2] });
    expect(matchByName(exercises, 'インクライン')).toEqual({ found: exercises[1] });
    expect(matchByName(exercises, 'bench')).toMatchObject({ ambiguous: expect.any(Array) });
    expect(matchByName(exercises, 'スクワット')).toEqual({ none: true });
  });

  it("gives the day in the user's time zone", () => {
    const at = new Date('2026-03-31T16:30:00Z'); // 01:30 on April 1st in Tokyo
    expect(dayOf(at, 'Asia/Tokyo')).toEqual({ from: new Date('2026-03-31T15:00:00Z'), to: new Date('2026-04-01T15:00:00Z'), label: '4/1' });
    expect(clockTime(at, 'Asia/Tokyo')).toBe('01:30');
    // A DST day in New York is 23 hours long.
    const dst = dayOf(new Date('2026-03-08T12:00:00Z'), 'America/New_York');
    expect(dst.to.getTime() - dst.from.getTime()).toBe(23 * 3_600_000);
  });
});
