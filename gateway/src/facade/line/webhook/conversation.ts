/**
 * One LINE event -> what it does and what to answer. The LINE user is known only by the signed
 * event's `source.userId`; with no account linked to it the only answer is the LINE Login link.
 * Bad input is answered in words and writes nothing; only infrastructure failures throw (the
 * consumer then retries the event).
 */
import { AppError, type AuthContext, ErrorCode } from '@app/platform/core';
import type { messagingApi } from '@line/bot-sdk';
import { type Command, commandOf } from './commands.js';
import { chooseExercise, pickExercise, type StepContext } from './exercise-steps.js';
import type { RunOperation } from './operations.js';
import { loginLink, Texts, text } from './replies.js';
import { DEFAULT_TIME_ZONE } from './time-zone.js';
import type { LineEvent } from './webhook-events.js';
import { addSet, endWorkout, startWorkout, today } from './workout-steps.js';

type Message = messagingApi.Message;

export interface ConversationDeps {
  /** The account linked to a LINE user, as a verified caller; null when there is none. */
  accountOf(lineUserId: string): Promise<AuthContext | null>;
  runAs(auth: AuthContext, requestId: string): RunOperation;
  publicUrl: string;
}

/** Does what the event asks; returns the reply (null: nothing to say). */
export async function respond(deps: ConversationDeps, event: LineEvent): Promise<Message[] | null> {
  const command = commandOf(event);
  if (command.type === 'ignore' || !event.active || !event.lineUserId) return null;
  const auth = await deps.accountOf(event.lineUserId);
  if (!auth) return [loginLink(deps.publicUrl)];
  const ctx: StepContext = {
    run: deps.runAs(auth, `line-${event.webhookEventId}`),
    now: new Date(event.timestamp),
    timeZone: DEFAULT_TIME_ZONE,
  };
  try {
    return await perform(ctx, command);
  } catch (err) {
    const problem = problemOf(err);
    if (problem) return [text(problem)];
    throw err;
  }
}

function perform(ctx: StepContext, command: Exclude<Command, { type: 'ignore' }>): Promise<Message[]> | Message[] {
  switch (command.type) {
    case 'greet':
      return [text(Texts.greeting)];
    case 'help':
      return [text(Texts.help)];
    case 'invalid':
      return [text(command.reason)];
    case 'start':
      return startWorkout(ctx);
    case 'end':
      return endWorkout(ctx);
    case 'today':
      return today(ctx);
    case 'pickExercise':
      return pickExercise(ctx, command.page);
    case 'chooseExercise':
      return chooseExercise(ctx, command.exerciseId);
    case 'addSet':
      return addSet(ctx, command);
  }
}

/** The user's mistake, in words; undefined for failures worth a retry (they are rethrown). */
function problemOf(err: unknown): string | undefined {
  if (!(err instanceof AppError)) return undefined;
  switch (err.code) {
    case ErrorCode.NOT_FOUND:
      return err.message.startsWith('Workout') ? Texts.workoutGone : Texts.exerciseNotFound;
    case ErrorCode.VALIDATION_ERROR:
      return /inactive/i.test(JSON.stringify([err.message, err.details])) ? Texts.exerciseInactive : Texts.invalidInput(detailOf(err));
    case ErrorCode.CONFLICT:
      return Texts.conflict;
    case ErrorCode.FORBIDDEN:
      return Texts.forbidden;
    default:
      return undefined;
  }
}

function detailOf(err: AppError): string {
  const fields = (err.details.validationErrors as { message: string }[] | undefined)?.map((e) => e.message);
  return fields?.length ? fields.join(' / ') : err.message;
}
