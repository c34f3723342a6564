import { type EventBus, type PayloadOf, Subjects, type Subscription } from '@app/events';
import type { Cache } from '../cache/cache.js';
import { cacheKeys } from '../cache/cache-keys.js';
import type { Logger } from '../observability/logger.js';
import { withTimeout } from '../with-timeout.js';
import { type Refusal, type RevocableClaims, RevocationEntries, type RevocationKind, revocationPrefixes } from './revocation-entries.js';

export interface RevocationListOptions {
  /** The shared cache: the truth, loaded at start, on the bus's return and now and then. */
  cache: Cache;
  /** Where auth broadcasts each revocation (`security.revocation.added`). */
  bus: EventBus;
  logger?: Logger;
  /** How often the shared revision counter is read (one GET) to notice a revocation this process missed. Default 250 ms. */
  checkIntervalMs?: number;
  /**
   * The bound: memory answers only while a check that started at most this long ago found it
   * complete. A revocation whose broadcast never arrives is refused here at most this long after
   * it was written. Default 1_000 ms.
   */
  maxStalenessMs?: number;
  /** A full reload this often anyway, for a marker written but never counted (its writer died in between). Default 60_000 ms. */
  fullReloadIntervalMs?: number;
  /** Longest wait for the revision read; a full reload may take ten times this. Default 1_000 ms. */
  timeoutMs?: number;
  /** Past this many entries memory is not trusted (every check asks the cache) until a reload finds fewer. Default 1_000_000. */
  maxEntries?: number;
}

type Announcement = PayloadOf<typeof Subjects.SecurityRevocationAdded>;

const KINDS: RevocationKind[] = ['token', 'session', 'user'];
/** Revisions missing at one check beyond this many: reload rather than wait for them. */
const MAX_GAP = 10_000;
/** A reload because a revision stayed missing waits this long after the last one: a broken bus must not turn into a SCAN per check. */
const GAP_RELOAD_BACKOFF_MS = 2_000;

/**
 * The revocations (logouts, ended sessions, erased users) kept in this process's memory, so a
 * token check needs no cache round trip. Auth writes each marker to the shared cache (the truth),
 * counts it in a shared revision counter, then broadcasts it; every holder adds it at once.
 *
 * Memory answers only while it is known to be complete (`isCurrent`): loaded from the cache since
 * the bus last connected, the bus and the cache connected, and a read of the revision counter that
 * started at most `maxStalenessMs` ago found every revision up to it received. A broadcast lost on
 * the way (core NATS keeps nothing) shows as a missing revision at the next check; memory is not
 * trusted until it arrives or a reload brings it. Whenever memory is not trusted, the verifier asks
 * the cache per request, as it did before this list existed (503 when the cache is down).
 */
export class RevocationList {
  private readonly entries = new RevocationEntries();
  private readonly checkIntervalMs: number;
  private readonly maxStalenessMs: number;
  private readonly fullReloadIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxEntries: number;
  private subscription?: Subscription;
  private stopWatchingBus?: () => void;
  private timer?: NodeJS.Timeout;
  /** The one check or reload in progress: they never overlap. */
  private running?: Promise<void>;
  private closed = false;
  private failing = false;

  private busConnected = false;
  /** +1 on every drop of the bus: a load counts only when no drop happened while it ran. */
  private busEpoch = 0;
  private loadedEpoch = -1;
  /** Every revision up to this one is in memory. */
  private known = 0;
  /** Revisions above `known` received by broadcast. */
  private readonly received = new Set<number>();
  /** What the last check found missing (up to `upTo`, read at `checkedAt`): memory waits for it. */
  private gap: { missing: Set<number>; upTo: number; checkedAt: number } | null = null;
  /** performance.now() at the start of the last read of the counter that found memory complete. */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private lastReloadAt = Number.NEGATIVE_INFINITY;
  private reloadWanted = true;
  /** A full reload is running (a check that waits for it may wait ten times longer). */
  private reloading = false;
  private overflow = false;

  constructor(private readonly options: RevocationListOptions) {
    this.checkIntervalMs = options.checkIntervalMs ?? 250;
    this.maxStalenessMs = options.maxStalenessMs ?? 1_000;
    this.fullReloadIntervalMs = options.fullReloadIntervalMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.maxEntries = options.maxEntries ?? 1_000_000;
  }

  /** Subscribes first, then loads (a failed load is retried at every check; the cache answers meanwhile). */
  async start(): Promise<void> {
    const { bus } = this.options;
    this.stopWatchingBus = bus.onConnectionChange((connected) => this.onConnectionChange(connected));
    this.busConnected = bus.isConnected();
    this.subscription = await bus.onBroadcast(Subjects.SecurityRevocationAdded, async (event) => this.add(event.data));
    await this.run();
    this.timer = setInterval(() => void this.run(), this.checkIntervalMs);
    this.timer.unref();
  }

  /** Whether memory may answer for the cache right now (see the class comment). */
  isCurrent(): boolean {
    return (
      this.loadedEpoch === this.busEpoch &&
      this.busConnected &&
      this.gap === null &&
      !this.overflow &&
      performance.now() - this.confirmedAt <= this.maxStalenessMs &&
      this.options.cache.reachable()
    );
  }

  /**
   * Whether memory may answer, after confirming it now when the only thing missing is a recent
   * enough check (a busy event loop ran the timer late). Every caller waiting meanwhile shares
   * that one read of the counter, so under load the checks cost one round trip per read rather
   * than one lookup per token; the bound is the same (memory is complete as of the read's
   * start). False at once whenever anything else is in doubt (a reload due, a revision missing,
   * the bus or the cache away): the caller asks the cache, as before.
   */
  async whenCurrent(): Promise<boolean> {
    if (this.isCurrent()) return true;
    if (!this.onlyLate()) return false;
    await this.run();
    return this.isCurrent();
  }

  /** Stale only by time: no reload due or running, nothing missing, bus and cache there. */
  private onlyLate(): boolean {
    return (
      !this.closed &&
      this.loadedEpoch === this.busEpoch &&
      this.busConnected &&
      this.gap === null &&
      !this.overflow &&
      !this.reloadWanted &&
      !this.reloading &&
      performance.now() - this.lastReloadAt < this.fullReloadIntervalMs &&
      this.options.cache.reachable()
    );
  }

  /** Why memory refuses these claims, or null. Meaningful only while `isCurrent()`. */
  refusal(claims: RevocableClaims): Refusal | null {
    return this.entries.refusal(claims);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.stopWatchingBus?.();
    await this.subscription?.unsubscribe().catch(() => {}); // the bus may be closed already
    await this.running;
  }

  private add(revocation: Announcement): void {
    this.entries.add(revocation.kind, revocation.id, revocation.revokedAt, Date.now() + revocation.ttlSeconds * 1000);
    this.overflow = this.entries.size > this.maxEntries;
    const { revision } = revocation;
    if (revision === null || revision <= this.known) return;
    this.received.add(revision);
    if (this.gap?.missing.delete(revision) && this.gap.missing.size === 0) this.advance(this.gap.upTo, this.gap.checkedAt);
  }

  private onConnectionChange(connected: boolean): void {
    this.busConnected = connected;
    if (!connected) {
      this.busEpoch++;
      return;
    }
    // What was broadcast while it was away is lost: reload.
    this.reloadWanted = true;
    void this.run();
  }

  private run(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const running = (this.running ??= this.step()
      .then((ran) => {
        if (ran) this.recovered();
      })
      .catch((err: unknown) => this.failed(err))
      .finally(() => {
        this.running = undefined;
      }));
    return running;
  }

  /** One check or reload; false when there was nothing to do. */
  private async step(): Promise<boolean> {
    // Memory is not trusted while the bus is away; its return brings a reload.
    if (!this.busConnected) return false;
    const sinceReload = performance.now() - this.lastReloadAt;
    const reload =
      this.loadedEpoch !== this.busEpoch ||
      sinceReload >= this.fullReloadIntervalMs ||
      (this.reloadWanted && sinceReload >= GAP_RELOAD_BACKOFF_MS);
    if (!reload) {
      await this.check();
      return true;
    }
    this.reloading = true;
    try {
      await this.reload();
    } finally {
      this.reloading = false;
    }
    return true;
  }

  /** Reads the revision counter: every revision up to it received means memory is complete as of the read's start. */
  private async check(): Promise<void> {
    const startedAt = performance.now();
    const revision = await this.readRevision();
    // Gone back: the counter expired or the cache lost it. Too far ahead: cheaper to reload.
    if (revision < this.known || revision - this.known > MAX_GAP || this.received.size > MAX_GAP) {
      this.reloadWanted = true;
      return;
    }
    const missing = new Set<number>();
    for (let r = this.known + 1; r <= revision; r++) if (!this.received.has(r)) missing.add(r);
    if (missing.size === 0) {
      this.advance(revision, startedAt);
      return;
    }
    // Missing at two checks in a row: not a broadcast still on its way but a lost one.
    if (this.gap && [...this.gap.missing].some((r) => missing.has(r))) this.reloadWanted = true;
    this.gap = { missing, upTo: revision, checkedAt: startedAt };
  }

  /** Loads every marker from the cache (merged: a broadcast received meanwhile is kept). */
  private async reload(): Promise<void> {
    const epoch = this.busEpoch;
    const startedAt = performance.now();
    // Counter first: every marker counted up to it was written before, so the scan finds it.
    const revision = await this.readRevision();
    const found = await withTimeout(
      Promise.all(KINDS.map((kind) => this.options.cache.scanPrefix(revocationPrefixes[kind]))),
      this.timeoutMs * 10,
      () => new Error('loading the revocations took too long'),
    );
    const now = Date.now();
    for (const [i, kind] of KINDS.entries()) this.entries.addScanned(kind, found[i]!, now);
    this.entries.sweep(now);
    this.overflow = this.entries.size > this.maxEntries;
    if (revision < this.known) this.received.clear(); // a new count: what was received belongs to the old one
    this.lastReloadAt = startedAt;
    this.reloadWanted = false;
    this.gap = null;
    this.advance(revision, startedAt);
    if (epoch === this.busEpoch && this.busConnected) this.loadedEpoch = epoch;
  }

  private advance(revision: number, checkedAt: number): void {
    this.known = revision;
    for (const r of this.received) if (r <= revision) this.received.delete(r);
    this.gap = null;
    this.confirmedAt = Math.max(this.confirmedAt, checkedAt);
  }

  private async readRevision(): Promise<number> {
    const raw = await withTimeout(
      this.options.cache.get(cacheKeys.revocationRevision()),
      this.timeoutMs,
      () => new Error(`the cache did not answer within ${this.timeoutMs} ms`),
    );
    const revision = Number(raw ?? 0);
    return Number.isSafeInteger(revision) && revision >= 0 ? revision : 0;
  }

  private failed(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.options.logger?.warn(
      { err: (err as Error).message },
      'revocation list cannot reach the shared cache: revocations are checked there per request',
    );
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.options.logger?.info('revocation list in step with the shared cache again');
  }
}
