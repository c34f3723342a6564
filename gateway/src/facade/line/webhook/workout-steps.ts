/** Start, end, add a set, and today's summary: each one or two of the web's operations, then the reply. */
import type { messagingApi } from '@line/bot-sdk';
import { Action, type Command } from './commands.js';
import { displayName } from './exercise-names.js';
import { resolveExercise, type StepContext } from './exercise-steps.js';
import { Operations, type WorkoutSetView } from './operations.js';
import { kg, mainButtons, postbackButton, postbackData, setText, Texts, text } from './replies.js';
import { clockTime, dayOf } from './time-zone.js';
import { summarise, todayFlex, volumeOf } from './today-flex.js';

type Message = messagingApi.Message;

export async function startWorkout(ctx: StepContext): Promise<Message[]> {
  const { ongoingWorkout } = await ctx.run(Operations.ongoingWorkout);
  if (ongoingWorkout) return [text(Texts.alreadyStarted(clockTime(new Date(ongoingWorkout.startedAt), ctx.timeZone)))];
  const { createWorkout } = await ctx.run(Operations.createWorkout, { input: { startedAt: ctx.now.toISOString() } });
  return [text(Texts.started(clockTime(new Date(createWorkout.startedAt), ctx.timeZone)))];
}

export async function endWorkout(ctx: StepContext): Promise<Message[]> {
  const { ongoingWorkout } = await ctx.run(Operations.ongoingWorkoutSets);
  if (!ongoingWorkout) return [text(Texts.nothingToEnd)];
  // The user's tap time, but never before the start (a clock step between devices).
  const endedAt = new Date(Math.max(ctx.now.getTime(), Date.parse(ongoingWorkout.startedAt)));
  await ctx.run(Operations.endWorkout, { id: ongoingWorkout.id, endedAt: endedAt.toISOString() });
  const sets = ongoingWorkout.sets as WorkoutSetView[];
  return [text(Texts.ended(sets.length, kg(volumeOf(sets))))];
}

export async function addSet(ctx: StepContext, command: Extract<Command, { type: 'addSet' }>): Promise<Message[]> {
  const { ongoingWorkout } = await ctx.run(Operations.ongoingWorkout);
  if (!ongoingWorkout) return [text(Texts.noOngoing)];
  const resolved = await resolveExercise(ctx, command.exercise);
  if ('problem' in resolved) return [text(resolved.problem)];
  const { reps, weightKg } = command;
  const { addWorkoutSet } = await ctx.run(Operations.addWorkoutSet, {
    workoutId: ongoingWorkout.id,
    input: { exerciseId: resolved.exerciseId, reps, weightKg },
  });
  const name = displayName(addWorkoutSet.exercise);
  const again = postbackButton(
    'もう1セット',
    postbackData(Action.AddSet, { exerciseId: resolved.exerciseId, reps, weight: weightKg ?? '' }),
    `${name} ${setText(reps, weightKg)}`,
  );
  return [text(Texts.recorded(name, setText(reps, weightKg), addWorkoutSet.setIndex + 1), [again, ...mainButtons()])];
}

/** Sets of the workouts started today (the user's day, in their time zone), oldest first. */
export async function today(ctx: StepContext): Promise<Message[]> {
  const day = dayOf(ctx.now, ctx.timeZone);
  const { workouts } = await ctx.run(Operations.todaysWorkouts, { from: day.from.toISOString(), to: day.to.toISOString() });
  const sets = [...(workouts.items as { sets: WorkoutSetView[] }[])].reverse().flatMap((w) => w.sets);
  if (sets.length === 0) return [text(Texts.nothingToday)];
  return [todayFlex(day.label, summarise(sets))];
}
