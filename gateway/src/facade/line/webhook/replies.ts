/**
 * Reply messages: Japanese texts and quick-reply buttons (LINE: at most 13 buttons, labels of at
 * most 20 characters, postback buttons need a displayText). Builders only; no I/O here.
 */
import type { messagingApi } from '@line/bot-sdk';
import { Action } from './commands.js';

type Message = messagingApi.Message;
type QuickReplyItem = messagingApi.QuickReplyItem;

export const MAX_QUICK_REPLY_ITEMS = 13;
const MAX_LABEL = 20;
const MAX_TEXT = 5000;

export const Texts = {
  greeting:
    '友だち追加ありがとうございます！\nこのトークでトレーニングを記録できます。\n下のボタンから「開始」→「記録」→「終了」の順に使ってください。「今日」で今日の記録を見られます。',
  help: '使い方:\n・開始: ワークアウトを始める\n・記録: 種目を選んでセットを追加\n・セット 種目名 回数 重量: 直接入力（例: セット ベンチプレス 10 60）\n・終了: ワークアウトを終える\n・今日: 今日の記録',
  login: (url: string) => `LINEアカウントがまだ連携されていません。こちらからログインして連携してください:\n${url}`,
  started: (time: string) => `ワークアウトを開始しました（${time}）。「記録」でセットを追加しましょう。`,
  alreadyStarted: (time: string) => `すでにワークアウト中です（${time} 開始）。「記録」でセットを追加するか、「終了」で終えてください。`,
  noOngoing: '進行中のワークアウトがありません。「開始」を押してから記録してください。',
  nothingToEnd: '終了できるワークアウトがありません（進行中のものはありません）。',
  ended: (sets: number, volume: string) => `お疲れさまでした！ワークアウトを終了しました。\n${sets}セット・総ボリューム ${volume}`,
  recorded: (name: string, set: string, index: number) => `${name} ${set} を記録しました（このワークアウトの${index}セット目）。`,
  pickExercise: (from: number, to: number, total: number) =>
    `種目を選んでください（${from}〜${to} / ${total}）。番号でも入力できます: セット 番号 回数 重量`,
  noExercises: '使える種目がありません。Webで種目を追加してください。',
  pickPreset: (name: string) => `${name}: 回数×重量を選んでください。ほかの値は「セット ${name} 回数 重量」と入力できます。`,
  exerciseNotFound: '指定された種目が見つかりません（ほかのユーザーの種目は使えません）。「記録」から選んでください。',
  exerciseInactive: 'その種目は無効になっています。Webで有効にするか、ほかの種目を選んでください。',
  ambiguous: (names: string[]) => `当てはまる種目が複数あります: ${names.join('、')}。名前をもう少し詳しく入力してください。`,
  workoutGone: '進行中のワークアウトが見つかりません。「開始」からやり直してください。',
  conflict: 'ほかの操作と重なりました。もう一度お試しください。',
  forbidden: 'この操作は許可されていません。',
  invalidInput: (detail: string) => `入力内容を確認してください: ${detail}`,
  nothingToday: '今日の記録はまだありません。「開始」からトレーニングを始めましょう。',
} as const;

export const truncate = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Postback data: `action=add_set&exerciseId=...` (at most 300 characters: ids and numbers only). */
export function postbackData(action: (typeof Action)[keyof typeof Action], params: Record<string, string | number> = {}): string {
  return new URLSearchParams({ action, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) }).toString();
}

export function postbackButton(label: string, data: string, displayText = label): QuickReplyItem {
  return { type: 'action', action: { type: 'postback', label: truncate(label, MAX_LABEL), data, displayText: truncate(displayText, 300) } };
}

/** After every step: the four things a user does next. */
export function mainButtons(): QuickReplyItem[] {
  return [
    postbackButton('開始', postbackData(Action.Start)),
    postbackButton('記録', postbackData(Action.PickExercise, { page: 0 })),
    postbackButton('終了', postbackData(Action.End)),
    postbackButton('今日', postbackData(Action.Today)),
  ];
}

export function text(body: string, buttons: QuickReplyItem[] = mainButtons()): Message {
  const items = buttons.slice(0, MAX_QUICK_REPLY_ITEMS);
  return { type: 'text', text: truncate(body, MAX_TEXT), ...(items.length ? { quickReply: { items } } : {}) };
}

/** An unknown LINE user gets this and nothing else: no buttons, since every one would need an account. */
export function loginLink(publicUrl: string): Message {
  return { type: 'text', text: Texts.login(`${publicUrl.replace(/\/$/, '')}/api/auth/line/login`) };
}

export const weightText = (weightKg: number | null) => (weightKg === null ? '自重' : `${weightKg}kg`);
export const setText = (reps: number, weightKg: number | null) => `${reps}回×${weightText(weightKg)}`;
export const kg = (volume: number) => `${(Math.round(volume * 100) / 100).toLocaleString('ja-JP')}kg`;
