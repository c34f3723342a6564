/** The "today" summary as a Flex bubble: sets grouped by exercise, each with its volume (reps × kg), and the day's total. */
import type { messagingApi } from '@line/bot-sdk';
import { displayName } from './exercise-names.js';
import type { WorkoutSetView } from './operations.js';
import { kg, mainButtons, setText, truncate } from './replies.js';

type FlexComponent = messagingApi.FlexComponent;

/** A bubble's JSON may not exceed 30 KB: long days are cut, with a note. */
const MAX_EXERCISES = 15;
const MAX_SETS_LISTED = 20;
const GREY = '#888888';

export interface ExerciseSummary {
  name: string;
  sets: { reps: number; weightKg: number | null }[];
  volume: number;
}

/** Bodyweight sets (no weight) count 0 kg. */
export const volumeOf = (sets: { reps: number; weightKg: number | null }[]) => sets.reduce((sum, s) => sum + s.reps * (s.weightKg ?? 0), 0);

/** In the order the exercises were first done. */
export function summarise(sets: WorkoutSetView[]): ExerciseSummary[] {
  const byExercise = new Map<string, ExerciseSummary>();
  for (const set of sets) {
    let summary = byExercise.get(set.exercise.id);
    if (!summary) byExercise.set(set.exercise.id, (summary = { name: displayName(set.exercise), sets: [], volume: 0 }));
    summary.sets.push({ reps: set.reps, weightKg: set.weightKg });
  }
  return [...byExercise.values()].map((s) => ({ ...s, volume: volumeOf(s.sets) }));
}

const label = (text: string, extra: Partial<messagingApi.FlexText> = {}): messagingApi.FlexText => ({ type: 'text', text, ...extra });

function exerciseBlock(summary: ExerciseSummary): FlexComponent {
  const listed = summary.sets.slice(0, MAX_SETS_LISTED).map((s) => setText(s.reps, s.weightKg));
  const more = summary.sets.length > MAX_SETS_LISTED ? ` ほか${summary.sets.length - MAX_SETS_LISTED}セット` : '';
  return {
    type: 'box',
    layout: 'vertical',
    spacing: 'xs',
    contents: [
      {
        type: 'box',
        layout: 'horizontal',
        contents: [
          label(truncate(summary.name, 40), { weight: 'bold', wrap: true, flex: 3 }),
          label(kg(summary.volume), { align: 'end', size: 'sm', flex: 2 }),
        ],
      },
      label(`${summary.sets.length}セット: ${listed.join(' / ')}${more}`, { size: 'xs', color: GREY, wrap: true }),
    ],
  };
}

export function todayFlex(dayLabel: string, summaries: ExerciseSummary[]): messagingApi.FlexMessage {
  const sets = summaries.reduce((n, s) => n + s.sets.length, 0);
  const total = kg(summaries.reduce((sum, s) => sum + s.volume, 0));
  const shown = summaries.slice(0, MAX_EXERCISES);
  const body: FlexComponent[] = shown.flatMap((s, i) =>
    i ? [{ type: 'separator', margin: 'md' } as FlexComponent, exerciseBlock(s)] : [exerciseBlock(s)],
  );
  if (summaries.length > shown.length) body.push(label(`ほか${summaries.length - shown.length}種目`, { size: 'xs', color: GREY }));
  return {
    type: 'flex',
    altText: `今日の記録（${dayLabel}）: ${summaries.length}種目・${sets}セット・合計 ${total}`,
    contents: {
      type: 'bubble',
      header: { type: 'box', layout: 'vertical', contents: [label(`今日のトレーニング（${dayLabel}）`, { weight: 'bold', size: 'lg' })] },
      body: { type: 'box', layout: 'vertical', spacing: 'md', contents: body },
      footer: {
        type: 'box',
        layout: 'horizontal',
        contents: [
          label(`${summaries.length}種目・${sets}セット`, { size: 'sm', color: GREY }),
          label(`合計 ${total}`, { weight: 'bold', align: 'end' }),
        ],
      },
    },
    quickReply: { items: mainButtons() },
  };
}
