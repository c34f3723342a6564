/**
 * Japanese names of the seeded global exercises (stored in English), so LINE users can read and
 * type them as they say them: 「セット ベンチプレス 10 60」. Own exercises keep the user's name.
 */
const JAPANESE: Record<string, string> = {
  'bench press': 'ベンチプレス',
  'incline bench press': 'インクラインベンチプレス',
  'dumbbell fly': 'ダンベルフライ',
  'push-up': '腕立て伏せ',
  squat: 'スクワット',
  'front squat': 'フロントスクワット',
  'leg press': 'レッグプレス',
  lunge: 'ランジ',
  deadlift: 'デッドリフト',
  'romanian deadlift': 'ルーマニアンデッドリフト',
  'overhead press': 'オーバーヘッドプレス',
  'lateral raise': 'サイドレイズ',
  'pull-up': '懸垂',
  'lat pulldown': 'ラットプルダウン',
  'barbell row': 'バーベルロウ',
  'bicep curl': 'アームカール',
  'tricep pushdown': 'プッシュダウン',
  dip: 'ディップス',
  'calf raise': 'カーフレイズ',
  plank: 'プランク',
  running: 'ランニング',
  cycling: 'サイクリング',
  'rowing machine': 'ローイングマシン',
  'jump rope': '縄跳び',
};

export interface NamedExercise {
  id: string;
  name: string;
  isGlobal: boolean;
  isActive: boolean;
}

/** Full-width letters and digits folded, case and spacing ignored: 「ＢＥＮＣＨ　press」 = 「bench press」. */
export const nameKey = (name: string) =>
  name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\-_・]+/g, '');

export function displayName(exercise: { name: string; isGlobal?: boolean }): string {
  return (exercise.isGlobal !== false && JAPANESE[exercise.name.toLowerCase()]) || exercise.name;
}

export type NameMatch<T> = { found: T } | { ambiguous: T[] } | { none: true };

/**
 * The exercise whose stored name is the typed one; else whose Japanese name is; else the single
 * one whose name contains it; otherwise ambiguous or none.
 */
export function matchByName<T extends NamedExercise>(exercises: T[], typed: string): NameMatch<T> {
  const key = nameKey(typed);
  const candidates = [
    exercises.filter((e) => nameKey(e.name) === key),
    exercises.filter((e) => nameKey(displayName(e)) === key),
    exercises.filter((e) => nameKey(e.name).includes(key) || nameKey(displayName(e)).includes(key)),
  ];
  for (const found of candidates) {
    if (found.length === 1) return { found: found[0]! };
    if (found.length > 1) return { ambiguous: found };
  }
  return { none: true };
}
