/**
 * LINE event -> command. Postback data (`action=add_set&exerciseId=...`) and the matching text
 * commands (開始, 記録, 終了, 今日, 「セット ベンチプレス 10 60」) meet here, and every value a
 * user can type is checked before anything runs: bad input becomes an `invalid` command.
 */
import { type LineEvent, LineEventKind } from './webhook-events.js';

/** Postback actions; the same constants build the buttons' data, so the two cannot drift. */
export const Action = {
  Start: 'start',
  End: 'end',
  Today: 'today',
  PickExercise: 'pick_exercise',
  ChooseExercise: 'choose_exercise',
  AddSet: 'add_set',
} as const;

export type ExerciseRef = { by: 'id'; id: string } | { by: 'name'; name: string } | { by: 'number'; number: number };

export type Command =
  | { type: 'greet' }
  | { type: 'help' }
  | { type: 'ignore' }
  | { type: 'start' }
  | { type: 'end' }
  | { type: 'today' }
  | { type: 'pickExercise'; page: number }
  | { type: 'chooseExercise'; exerciseId: string }
  | { type: 'addSet'; exercise: ExerciseRef; reps: number; weightKg: number | null }
  | { type: 'invalid'; reason: string };

export const Problem = {
  reps: '回数は1〜1000の整数で入力してください。',
  weight: '重量は0より大きく10000以下の数値(kg)で入力してください（自重なら省略できます）。',
  exercise: '種目の指定が正しくありません。「記録」から選び直してください。',
  setUsage: '使い方: セット 種目名(または番号) 回数 重量\n例) セット ベンチプレス 10 60',
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WORDS: Record<string, Command> = Object.fromEntries(
  [
    [['開始', 'start', 'スタート', '始める', 'はじめる'], { type: 'start' }],
    [['終了', 'end', '終わり', 'おわり', 'finish'], { type: 'end' }],
    [['今日', 'today', 'きょう'], { type: 'today' }],
    [['記録', 'record', 'セット', 'set'], { type: 'pickExercise', page: 0 }],
  ].flatMap(([words, command]) => (words as string[]).map((w) => [w, command as Command])),
);

export function commandOf(event: LineEvent): Command {
  switch (event.kind) {
    case LineEventKind.Follow:
      return { type: 'greet' };
    case LineEventKind.Postback:
      return fromPostback(event.data);
    case LineEventKind.Text:
      return fromText(event.text);
    case LineEventKind.Other:
      // A sticker or a photo gets the help; joins, unsends, beacons and the like get nothing.
      return event.type.startsWith('message:') ? { type: 'help' } : { type: 'ignore' };
    case LineEventKind.Unfollow:
      return { type: 'ignore' };
  }
}

function fromPostback(data: string): Command {
  const params = new URLSearchParams(data);
  switch (params.get('action')) {
    case Action.Start:
      return { type: 'start' };
    case Action.End:
      return { type: 'end' };
    case Action.Today:
      return { type: 'today' };
    case Action.PickExercise: {
      const page = Number(params.get('page') ?? 0);
      return { type: 'pickExercise', page: Number.isInteger(page) && page >= 0 && page < 1000 ? page : 0 };
    }
    case Action.ChooseExercise: {
      const id = params.get('exerciseId') ?? '';
      return UUID.test(id) ? { type: 'chooseExercise', exerciseId: id } : { type: 'invalid', reason: Problem.exercise };
    }
    case Action.AddSet: {
      const id = params.get('exerciseId') ?? '';
      if (!UUID.test(id)) return { type: 'invalid', reason: Problem.exercise };
      return addSet({ by: 'id', id }, params.get('reps') ?? '', params.get('weight') ?? '');
    }
    default:
      return { type: 'help' };
  }
}

function fromText(text: string): Command {
  // NFKC folds full-width digits, letters and spaces (「セット　ベンチ　１０」) into plain ones.
  const normalized = text.normalize('NFKC').trim().replace(/\s+/g, ' ');
  const word = WORDS[normalized.toLowerCase()];
  if (word) return word;
  const set = /^(?:セット|set) (.+)$/i.exec(normalized);
  return set ? fromSetText(set[1]!) : { type: 'help' };
}

/** 「ベンチプレス 10 60」, 「3 10回 60kg」, 「懸垂 8」 (no weight: bodyweight). */
function fromSetText(rest: string): Command {
  const tokens = rest.split(' ');
  if (tokens.length < 2) return { type: 'invalid', reason: Problem.setUsage };
  const withWeight = tokens.length >= 3 && isNumeric(tokens.at(-2)!, /(回|reps?)$/i);
  const [nameTokens, reps, weight] = withWeight
    ? [tokens.slice(0, -2), tokens.at(-2)!, tokens.at(-1)!]
    : [tokens.slice(0, -1), tokens.at(-1)!, ''];
  const name = nameTokens.join(' ');
  const exercise: ExerciseRef = /^\d+$/.test(name) ? { by: 'number', number: Number(name) } : { by: 'name', name };
  return addSet(exercise, reps.replace(/(回|reps?)$/i, ''), weight.replace(/kg$/i, ''));
}

const isNumeric = (token: string, suffix: RegExp) => /^[-+]?\d+(\.\d+)?$/.test(token.replace(suffix, ''));

function addSet(exercise: ExerciseRef, repsText: string, weightText: string): Command {
  const reps = /^\d+$/.test(repsText) ? Number(repsText) : NaN;
  if (!(reps >= 1 && reps <= 1000)) return { type: 'invalid', reason: Problem.reps };
  if (weightText === '' || weightText === '自重') return { type: 'addSet', exercise, reps, weightKg: null };
  const weightKg = /^\d+(\.\d{1,2})?$/.test(weightText) ? Number(weightText) : NaN;
  if (!(weightKg > 0 && weightKg <= 10_000)) return { type: 'invalid', reason: Problem.weight };
  return { type: 'addSet', exercise, reps, weightKg };
}
