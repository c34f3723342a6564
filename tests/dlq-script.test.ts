/**
 * The operator's dead-letter path end to end: messages that cannot be processed land in the DLQ,
 * `scripts/dlq.ts` (run as a real process against the local NATS, on a namespace of its own)
 * lists them and replays them once the cause is fixed; and every service of the running
 * platform reports the event bus in `/metrics`.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { type EventEnvelope, NatsEventBus, type StoredDeadLetter, Subjects } from '@app/events';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function dlq(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(repoRoot, 'node_modules', '.bin', 'tsx'), ['scripts/dlq.ts', ...args], {
      cwd: repoRoot,
      // tsx's shebang runs `node` from PATH: the project's Node 24 (this process), not the system's.
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function eventually<T>(read: () => Promise<T> | T, check: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('scripts/dlq.ts against NATS', () => {
  const namespace = `t${randomBytes(5).toString('hex')}`;
  const env = { NATS_URL: natsUrl, NATS_NAMESPACE: namespace };
  let bus: NatsEventBus;
  let broken = true;
  const deleted: EventEnvelope<typeof Subjects.UsersUserDeleted>[] = [];
  const erased: EventEnvelope<typeof Subjects.UsersUserErased>[] = [];
  const fast = { ackWaitMs: 5_000, backoffMs: 10, maxDeliver: 2 };

  beforeAll(async () => {
    bus = await NatsEventBus.connect({ url: natsUrl, namespace });
    await bus.subscribe(
      Subjects.UsersUserDeleted,
      async (e) => {
        if (broken) throw new Error('billing database is read-only');
        deleted.push(e);
      },
      { durable: 'billing', ...fast },
    );
    await bus.subscribe(
      Subjects.UsersUserErased,
      async (e) => {
        if (broken) throw new Error('audit log unavailable');
        erased.push(e);
      },
      { durable: 'audit', ...fast },
    );
  });

  afterAll(async () => {
    await bus?.deleteNamespaceStreams();
    await bus?.close();
  });

  const list = async (...args: string[]): Promise<StoredDeadLetter[]> => {
    const run = await dlq(['list', '--json', ...args], env);
    expect(run.code, run.stderr).toBe(0);
    return run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as StoredDeadLetter);
  };

  it('lists, replays and discards dead letters', async () => {
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
    await bus.publish(Subjects.UsersUserDeleted, { userId: randomUUID(), requestedAt: new Date().toISOString() }, { msgId: first });
    await eventually(
      () => bus.listDeadLetters(),
      (l) => l.length === 1,
      'first dead letter',
    );
    await bus.publishRaw(Subjects.UsersUserDeleted, '{"this is": "no event"}');
    await eventually(
      () => bus.listDeadLetters(),
      (l) => l.length === 2,
      'the malformed one',
    );
    await bus.publish(Subjects.UsersUserDeleted, { userId: randomUUID(), requestedAt: new Date().toISOString() }, { msgId: second });
    await eventually(
      () => bus.listDeadLetters(),
      (l) => l.length === 3,
      'second dead letter',
    );
    await bus.publish(
      Subjects.UsersUserErased,
      { userId: randomUUID(), service: 'users', erasedAt: new Date().toISOString() },
      { msgId: third },
    );
    await eventually(
      () => bus.listDeadLetters(),
      (l) => l.length === 4,
      'every dead letter',
    );

    // The human-readable table: subject, when, attempts, consumer and last error, by sequence.
    const table = await dlq(['list'], env);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SEQ\s+SUBJECT\s+FAILED AT\s+ATTEMPTS\s+CONSUMER\s+LAST ERROR$/);
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(
      /^\d+\s+users\.user\.deleted\s+\d{4}-\d\d-\d\dT\S+Z\s+2\s+billing\s+handler failed 2 times, last error: billing database is read-only$/,
    );
    expect(lines[2]).toMatch(/^\d+\s+users\.user\.deleted\s+\S+\s+1\s+billing\s+invalid envelope/);
    expect(lines[4]).toMatch(/^\d+\s+users\.user\.erased\s+\S+\s+2\s+audit\s+handler failed 2 times, last error: audit log unavailable$/);
    expect(lines[5]).toBe('4 dead letter(s)');

    const all = await list();
    expect(all.map((d) => d.subject)).toEqual([
      Subjects.UsersUserDeleted,
      Subjects.UsersUserDeleted,
      Subjects.UsersUserDeleted,
      Subjects.UsersUserErased,
    ]);
    expect((await list('--subject', Subjects.UsersUserErased)).map((d) => d.seq)).toEqual([all[3]!.seq]);
    expect((await list('--limit', '1')).map((d) => d.seq)).toEqual([all[0]!.seq]);

    // The cause is fixed: replay one by its sequence.
    broken = false;
    const one = await dlq(['replay', String(all[0]!.seq)], env);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain(`replayed dead letter ${all[0]!.seq} to users.user.deleted (event ${first})`);
    await eventually(
      () => deleted,
      (d) => d.length === 1,
      'the replayed event handled',
    );
    expect(deleted[0]!.id).toBe(first);

    // The rest of one subject: the valid one goes back, the malformed one is refused and kept.
    const rest = await dlq(['replay', '--all', '--subject', Subjects.UsersUserDeleted], env);
    expect(rest.code).toBe(1);
    expect(rest.stdout).toContain(`replayed dead letter ${all[2]!.seq} to users.user.deleted (event ${second})`);
    expect(rest.stderr).toContain(`Dead letter ${all[1]!.seq} cannot be replayed`);
    expect(rest.stdout).toContain('1 replayed, 1 refused (subject users.user.deleted)');
    await eventually(
      () => deleted,
      (d) => d.length === 2,
      'the second replayed event handled',
    );
    expect(deleted[1]!.id).toBe(second);
    expect((await list()).map((d) => d.seq)).toEqual([all[1]!.seq, all[3]!.seq]);

    const discarded = await dlq(['discard', String(all[1]!.seq)], env);
    expect(discarded.code, discarded.stderr).toBe(0);
    const everything = await dlq(['replay', '--all'], env);
    expect(everything.code, everything.stderr).toBe(0);
    expect(everything.stdout).toContain('1 replayed, 0 refused');
    await eventually(
      () => erased,
      (e) => e.length === 1,
      'the erased event handled',
    );
    expect(erased[0]!.id).toBe(third);

    const empty = await dlq(['list'], env);
    expect(empty.stdout.trim()).toBe('no dead letters');
    await expect(bus.deadLetterStats()).resolves.toEqual({ stored: 0, storedBySubject: {} });

    const gone = await dlq(['replay', String(all[0]!.seq)], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`No dead letter with sequence ${all[0]!.seq}`);
  }, 60_000);

  it('refuses bad usage and a namespace with no streams, changing nothing', async () => {
    const usage = await dlq(['replay'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: npm run dlq');
    expect((await dlq(['replay', '12', '--all'], env)).code).toBe(2);
    expect((await dlq(['list', '--limit', '0'], env)).code).toBe(2);
    expect((await dlq(['list'], { NATS_URL: '' })).code).toBe(2);

    const missing = `t${randomBytes(5).toString('hex')}`;
    const run = await dlq(['list'], { NATS_URL: natsUrl, NATS_NAMESPACE: missing });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`stream ${missing.toUpperCase()}_EVENTS does not exist`);
    // It did not create them either.
    const probe = await dlq(['list'], { NATS_URL: natsUrl, NATS_NAMESPACE: missing });
    expect(probe.code).toBe(2);
  }, 60_000);
});

describe('event bus in every service /metrics', () => {
  it('reports the bus as up and the dead letters stored, on the gateway and each subgraph', async () => {
    const urls = inject('urls');
    expect(Object.keys(urls).length).toBeGreaterThan(1);
    for (const [name, url] of Object.entries(urls)) {
      const res = await fetch(`${url}/metrics`);
      expect(res.status, name).toBe(200);
      const text = await res.text();
      expect(text, name).toMatch(new RegExp(`^events_bus_up\\{service="${name}"\\} 1$`, 'm'));
      expect(text, name).toMatch(
        new RegExp(`^events_dead_letters_stored\\{subject="users\\.user\\.deleted",service="${name}"\\} \\d+$`, 'm'),
      );
      expect(text, name).toMatch(/^# TYPE events_dead_lettered_total counter$/m);
    }
  });
});
