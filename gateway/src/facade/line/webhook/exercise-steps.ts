/** Choosing an exercise with quick replies (a page of them, then reps×weight presets), and finding one by id, name or number. */
import type { messagingApi } from '@line/bot-sdk';
import { Action, type ExerciseRef } from './commands.js';
import { displayName, matchByName } from './exercise-names.js';
import { type ExerciseView, Operations, type RunOperation, type WorkoutSetView } from './operations.js';
import { MAX_QUICK_REPLY_ITEMS, postbackButton, postbackData, setText, Texts, text } from './replies.js';

type Message = messagingApi.Message;

/** One quick-reply button is kept for "more". */
const PAGE_SIZE = MAX_QUICK_REPLY_ITEMS - 1;
/** The API's largest page, and how many pages a name lookup reads at most. */
const LOOKUP_PAGE = 100;
const LOOKUP_PAGES = 5;

export interface StepContext {
  run: RunOperation;
  /** When the user acted (the event's timestamp). */
  now: Date;
  timeZone: string;
}

/** Numbered like the list a user sees here, so 「セット 3 10 60」 means the third one. */
export async function pickExercise(ctx: StepContext, page: number): Promise<Message[]> {
  const offset = page * PAGE_SIZE;
  const { exercises } = await ctx.run(Operations.exercises, { limit: PAGE_SIZE, offset });
  const items = exercises.items as ExerciseView[];
  if (exercises.total === 0) return [text(Texts.noExercises)];
  if (items.length === 0) return pickExercise(ctx, 0);
  const lines = items.map((e, i) => `${offset + i + 1}. ${displayName(e)}${e.isActive ? '' : '（無効）'}`);
  const buttons = items
    .filter((e) => e.isActive)
    .map((e) => postbackButton(displayName(e), postbackData(Action.ChooseExercise, { exerciseId: e.id })));
  if (offset + items.length < exercises.total)
    buttons.push(postbackButton('次へ ▶', postbackData(Action.PickExercise, { page: page + 1 }), '次の種目'));
  return [text(`${Texts.pickExercise(offset + 1, offset + items.length, exercises.total)}\n${lines.join('\n')}`, buttons)];
}

/** Presets around the last set of this exercise in the ongoing workout, else common ones. */
export async function chooseExercise(ctx: StepContext, exerciseId: string): Promise<Message[]> {
  const { exercise } = await ctx.run(Operations.exercise, { id: exerciseId });
  if (!exercise) return [text(Texts.exerciseNotFound)];
  if (!exercise.isActive) return [text(Texts.exerciseInactive)];
  const { ongoingWorkout } = await ctx.run(Operations.ongoingWorkoutSets);
  if (!ongoingWorkout) return [text(Texts.noOngoing)];
  const last = (ongoingWorkout.sets as WorkoutSetView[]).filter((s) => s.exercise.id === exerciseId).at(-1);
  const name = displayName(exercise);
  const buttons = presets(last).map(({ reps, weightKg }) =>
    postbackButton(
      setText(reps, weightKg),
      postbackData(Action.AddSet, { exerciseId, reps, weight: weightKg ?? '' }),
      `${name} ${setText(reps, weightKg)}`,
    ),
  );
  buttons.push(postbackButton('種目を変える', postbackData(Action.PickExercise, { page: 0 })));
  return [text(Texts.pickPreset(name), buttons)];
}

type Preset = { reps: number; weightKg: number | null };

function presets(last: Preset | undefined): Preset[] {
  const all: Preset[] = !last
    ? [
        [10, 20],
        [10, 40],
        [10, 60],
        [8, 80],
        [5, 100],
        [10, null],
        [20, null],
      ].map(([reps, weightKg]) => ({ reps: reps!, weightKg: weightKg ?? null }))
    : last.weightKg === null
      ? [last.reps, last.reps + 2, last.reps + 5, last.reps - 2].map((reps) => ({ reps, weightKg: null }))
      : [
          { reps: last.reps, weightKg: last.weightKg },
          { reps: last.reps, weightKg: last.weightKg + 2.5 },
          { reps: last.reps, weightKg: last.weightKg - 2.5 },
          { reps: last.reps + 2, weightKg: last.weightKg },
          { reps: last.reps - 2, weightKg: last.weightKg },
        ];
  const valid = all.filter((p) => p.reps >= 1 && (p.weightKg === null || p.weightKg > 0));
  return valid.filter((p, i) => valid.findIndex((q) => q.reps === p.reps && q.weightKg === p.weightKg) === i);
}

export type Resolved = { exerciseId: string } | { problem: string };

/** An id is checked by the add itself (NOT_FOUND for anyone else's); a name or number is looked up among the visible ones. */
export async function resolveExercise(ctx: StepContext, ref: ExerciseRef): Promise<Resolved> {
  if (ref.by === 'id') return { exerciseId: ref.id };
  if (ref.by === 'number') {
    const { exercises } = await ctx.run(Operations.exercises, { limit: 1, offset: Math.max(ref.number - 1, 0) });
    const found = ref.number >= 1 ? (exercises.items[0] as ExerciseView | undefined) : undefined;
    return found ? { exerciseId: found.id } : { problem: Texts.exerciseNotFound };
  }
  const match = matchByName(await visibleExercises(ctx.run), ref.name);
  if ('found' in match) return { exerciseId: match.found.id };
  if ('ambiguous' in match) return { problem: Texts.ambiguous(match.ambiguous.slice(0, 5).map(displayName)) };
  return { problem: Texts.exerciseNotFound };
}

async function visibleExercises(run: RunOperation): Promise<ExerciseView[]> {
  const all: ExerciseView[] = [];
  for (let page = 0; page < LOOKUP_PAGES; page++) {
    const { exercises } = await run(Operations.exercises, { limit: LOOKUP_PAGE, offset: page * LOOKUP_PAGE });
    all.push(...exercises.items);
    if (all.length >= exercises.total || exercises.items.length === 0) break;
  }
  return all;
}
