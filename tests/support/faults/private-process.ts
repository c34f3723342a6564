/**
 * A server of a test's own (redis-server, nats-server, postgres) on a port of its own, which the
 * test may stop, kill and start again on the same port with the same data, without touching the
 * machine's shared services. Never outlives the test process.
 */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface PrivateServerSpec {
  /** For messages: "redis", "nats", "postgres". */
  name: string;
  command: string;
  args: string[];
  spawnOptions?: SpawnOptions;
  /** Resolves once the server answers; throws (or rejects) while it does not. */
  probe(): Promise<void>;
  /** The signal of a clean stop (SIGTERM; Postgres's fast shutdown is SIGINT). */
  stopSignal?: NodeJS.Signals;
  startTimeoutMs?: number;
  /** The server's files (a store, a cluster), removed by `dispose()`; kept across restarts. */
  dataDir?: string;
}

export class PrivateServer {
  private child: ChildProcess | undefined;
  private output = '';
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(private readonly spec: PrivateServerSpec) {
    process.on('exit', this.killOnExit);
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits until its probe answers. */
  async start(): Promise<void> {
    if (this.running) return;
    this.output = '';
    const child = spawn(this.spec.command, this.spec.args, { stdio: ['ignore', 'pipe', 'pipe'], ...this.spec.spawnOptions });
    this.child = child;
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + (this.spec.startTimeoutMs ?? 20_000);
    for (;;) {
      try {
        await this.spec.probe();
        return;
      } catch (err) {
        if (!this.running || Date.now() > deadline) {
          await this.kill();
          throw new Error(`${this.spec.name} did not start: ${(err as Error).message}\n${this.output}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** A clean stop, waiting for the process to exit. */
  stop(): Promise<void> {
    return this.signal(this.spec.stopSignal ?? 'SIGTERM');
  }

  /** SIGKILL: the crash an operator meets, no goodbye to clients. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /**
   * SIGSTOP: connections stay open but nothing answers (a hung server, a network partition),
   * with every child process of the server (Postgres's backends) too.
   */
  freeze(): void {
    this.signalAll('SIGSTOP');
  }

  /** SIGCONT after `freeze`. */
  thaw(): void {
    this.signalAll('SIGCONT');
  }

  /** The process and its children (Postgres's backends, which each sit in a session of their own). */
  private signalAll(signal: NodeJS.Signals) {
    const pid = this.child?.pid;
    if (!this.running || !pid) return;
    const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .map(Number)
      .filter((n) => n > 0);
    // Children first when stopping, so none is left answering; the parent first when resuming.
    const order = signal === 'SIGCONT' ? [pid, ...children] : [...children, pid];
    for (const target of order) {
      try {
        process.kill(target, signal);
      } catch {
        /* gone already */
      }
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops for good, removes its files and stops watching the test process's exit. */
  async dispose(): Promise<void> {
    this.thaw();
    await this.kill();
    process.off('exit', this.killOnExit);
    if (this.spec.dataDir) rmSync(this.spec.dataDir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
