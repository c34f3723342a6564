/**
 * `npm run dlq -- <command>`: the operator's view of the dead letters of one deployment (the DLQ
 * stream of NATS_NAMESPACE on NATS_URL), and the way to put them back once their cause is fixed.
 *
 *   list [--subject S] [--limit N] [--json]   the stored dead letters, oldest first
 *   replay <seq>                              re-publish one to its original subject, then remove it
 *   replay --all [--subject S]                every stored one (of subject S), in order
 *   discard <seq>                             remove one without replaying it
 *
 * A replay publishes the original message verbatim (same event id: idempotent handlers recognise
 * it) under a new publish id, so every durable of that subject receives it again. One whose
 * message is still invalid is refused and kept (fix the schema or discard it).
 * The script never creates or changes streams (whatever NATS_STREAM_REPLICAS says).
 * Exit status: 0 done, 1 something failed or was refused, 2 bad usage or configuration.
 */
import { parseArgs } from 'node:util';
import {
  DeadLetterNotFoundError,
  DeadLetterNotReplayableError,
  type EventBus,
  EventBusConfigError,
  NatsEventBus,
  type StoredDeadLetter,
} from '@app/events';

const USAGE = `usage: npm run dlq -- list [--subject S] [--limit N] [--json]
       npm run dlq -- replay <seq> | --all [--subject S]
       npm run dlq -- discard <seq>
environment: NATS_URL (required), NATS_NAMESPACE (the deployment's, if it has one)`;

/** What --all replays at most in one run; a run that reaches it says so, and can be run again. */
const REPLAY_ALL_LIMIT = 10_000;

class UsageError extends Error {}

type Print = (line: string) => void;

type DlqCommand =
  | { name: 'list'; subject?: string; limit?: number; json: boolean }
  | { name: 'replay'; seq: number }
  | { name: 'replay-all'; subject?: string }
  | { name: 'discard'; seq: number };

const parseOptions = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      subject: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });

/** Reads the command line (before anything connects: a typo costs no round trip). Throws UsageError. */
function parseCommand(argv: string[]): DlqCommand {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  switch (command) {
    case 'list':
      if (rest.length) throw new UsageError(`list takes no argument (got ${rest.join(' ')})`);
      return {
        name: 'list',
        subject: values.subject,
        limit: values.limit === undefined ? undefined : positiveInteger(values.limit, '--limit'),
        json: values.json,
      };
    case 'replay':
      if (values.all) {
        if (rest.length) throw new UsageError('replay takes either <seq> or --all, not both');
        return { name: 'replay-all', subject: values.subject };
      }
      if (values.subject !== undefined) throw new UsageError('--subject goes with list or replay --all');
      return { name: 'replay', seq: singleSeq(rest) };
    case 'discard':
      return { name: 'discard', seq: singleSeq(rest) };
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
  }
}

async function run(bus: EventBus, command: DlqCommand, out: Print, err: Print): Promise<number> {
  switch (command.name) {
    case 'list': {
      const deadLetters = await bus.listDeadLetters({ subject: command.subject, limit: command.limit });
      if (command.json) for (const deadLetter of deadLetters) out(JSON.stringify(deadLetter));
      else printTable(deadLetters, out);
      return 0;
    }
    case 'replay':
      return replayOne(bus, command.seq, out, err);
    case 'replay-all':
      return replayAll(bus, command.subject, out, err);
    case 'discard':
      try {
        await bus.discardDeadLetter(command.seq);
      } catch (error) {
        if (!(error instanceof DeadLetterNotFoundError)) throw error;
        err(error.message);
        return 1;
      }
      out(`discarded dead letter ${command.seq}`);
      return 0;
  }
}

async function replayOne(bus: EventBus, seq: number, out: Print, err: Print): Promise<number> {
  try {
    const replayed = await bus.replayDeadLetter(seq);
    out(`replayed dead letter ${seq} to ${replayed.subject} (event ${replayed.eventId})`);
    return 0;
  } catch (error) {
    if (error instanceof DeadLetterNotReplayableError || error instanceof DeadLetterNotFoundError) {
      err(error.message);
      return 1;
    }
    throw error;
  }
}

async function replayAll(bus: EventBus, subject: string | undefined, out: Print, err: Print): Promise<number> {
  const deadLetters = await bus.listDeadLetters({ subject, limit: REPLAY_ALL_LIMIT });
  let replayed = 0;
  let failed = 0;
  for (const { seq } of deadLetters) {
    if ((await replayOne(bus, seq, out, err)) === 0) replayed++;
    else failed++;
  }
  out(`${replayed} replayed, ${failed} refused${subject ? ` (subject ${subject})` : ''}`);
  if (deadLetters.length === REPLAY_ALL_LIMIT) out(`stopped at ${REPLAY_ALL_LIMIT}: run it again for the rest`);
  return failed ? 1 : 0;
}

function printTable(deadLetters: StoredDeadLetter[], out: Print): void {
  if (!deadLetters.length) {
    out('no dead letters');
    return;
  }
  const rows = deadLetters.map((d) => [String(d.seq), d.subject, d.failedAt, String(d.deliveries), d.consumer, oneLine(d.error, 100)]);
  const header = ['SEQ', 'SUBJECT', 'FAILED AT', 'ATTEMPTS', 'CONSUMER', 'LAST ERROR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  out(format(header));
  for (const row of rows) out(format(row));
  out(`${deadLetters.length} dead letter(s)`);
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function positiveInteger(value: string, what: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`${what} must be a positive integer, got "${value}"`);
  return Number(value);
}

function singleSeq(args: string[]): number {
  if (args.length !== 1) throw new UsageError('one <seq> is required (the SEQ column of `list`)');
  return positiveInteger(args[0]!, '<seq>');
}

async function main(): Promise<number> {
  let command: DlqCommand;
  try {
    command = parseCommand(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const url = process.env.NATS_URL;
  if (!url) {
    console.error(`NATS_URL is not set\n${USAGE}`);
    return 2;
  }
  const namespace = process.env.NATS_NAMESPACE || undefined;
  let bus: NatsEventBus | undefined;
  try {
    bus = await NatsEventBus.connect({ url, namespace, manageStreams: false, connectionName: 'dlq-script' });
    return await run(
      bus,
      command,
      (line) => console.log(line),
      (line) => console.error(line),
    );
  } catch (error) {
    console.error(`dlq: ${(error as Error).message}`);
    return error instanceof EventBusConfigError ? 2 : 1;
  } finally {
    await bus?.close();
  }
}

process.exitCode = await main();
