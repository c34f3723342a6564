/**
 * Answers of subgraphs whose reads are the same for everyone (SHARED_READ_SUBGRAPHS), kept in
 * this replica's memory: whole answers of root queries, and `_entities` answers one entity at a
 * time (an order's products are mostly another order's too). Values are JSON text, so every
 * reader parses its own copy (the gateway merges later fetches into the objects it is given).
 *
 * Kept at most PUBLIC_ANSWER_CACHE_SECONDS. Emptied whenever such a subgraph says its data
 * changed (`cache.key.invalidated`, broadcast after each of its commits; catalog's cache does),
 * and when this replica forwards a mutation to one, so a client reads its own writes here.
 * `generation` guards the race of a read that began before a change and answers after it:
 * what it brings is not kept.
 */
export class PublicAnswerCache {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private currentGeneration = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  /** Taken before a read is sent; given back to `set` with what it answered. */
  get generation(): number {
    return this.currentGeneration;
  }

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: string, generation: number): void {
    if (generation !== this.currentGeneration) return;
    // The oldest entry makes room (a Map iterates in insertion order).
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expiresAt: Date.now() + this.ttlMs });
  }

  clear(): void {
    this.currentGeneration++;
    this.entries.clear();
  }
}
