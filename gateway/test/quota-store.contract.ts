import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuotaPolicy, QuotaStore } from '../src/limits/quota-store.js';

export interface QuotaStoreFixture {
  store: QuotaStore;
  close?: () => Promise<void>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** A policy of its own per test (and a fresh user), so runs repeat and run in parallel. */
const policy = (points: number, durationSeconds = 3600): QuotaPolicy => ({ name: `contract-${randomUUID()}`, points, durationSeconds });
const user = () => randomUUID();
/** Waits until the next `seconds`-aligned window starts (plus a margin). */
const nextWindow = (seconds: number) => new Promise((r) => setTimeout(r, (seconds - (Date.now() % (seconds * 1000)) / 1000) * 1000 + 50));

/** The one suite every QuotaStore implementation must pass. */
export function quotaStoreContract(name: string, create: () => Promise<QuotaStoreFixture> | QuotaStoreFixture) {
  describe(`QuotaStore contract: ${name}`, () => {
    let store: QuotaStore;
    let fixture: QuotaStoreFixture;
    beforeAll(async () => {
      fixture = await create();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture.close?.();
    });

    it('counts down within the limit', async () => {
      const [p, u] = [policy(3), user()];
      const decisions = [await store.consume(p, u), await store.consume(p, u), await store.consume(p, u)];
      expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0]);
      for (const d of decisions) {
        expect(d).toMatchObject({ policy: p.name, allowed: true, limit: 3, retryAfter: 0 });
        expect(d.reset).toBeGreaterThan(nowSeconds());
        expect(d.reset).toBeLessThanOrEqual(nowSeconds() + 3600);
        expect(d.reset % 3600).toBe(0); // aligned: every replica reports the same reset
      }
    });

    it('refuses past the limit, with when to come back', async () => {
      const [p, u] = [policy(2), user()];
      await store.consume(p, u);
      await store.consume(p, u);
      for (let i = 0; i < 3; i++) {
        const refused = await store.consume(p, u);
        expect(refused).toMatchObject({ allowed: false, limit: 2, remaining: 0 });
        expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
        expect(refused.retryAfter).toBeLessThanOrEqual(3600);
        expect(refused.reset).toBeGreaterThan(nowSeconds());
      }
    });

    it('takes several points at once, and a refused call takes none', async () => {
      const [p, u] = [policy(5), user()];
      expect(await store.consume(p, u, 3)).toMatchObject({ allowed: true, remaining: 2 });
      expect(await store.consume(p, u, 3)).toMatchObject({ allowed: false, remaining: 2 });
      expect(await store.consume(p, u, 2)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('keeps windows apart per policy and per user', async () => {
      const [a, b, u1, u2] = [policy(1), policy(1), user(), user()];
      expect((await store.consume(a, u1)).allowed).toBe(true);
      expect((await store.consume(a, u1)).allowed).toBe(false);
      expect((await store.consume(b, u1)).allowed).toBe(true);
      expect((await store.consume(a, u2)).allowed).toBe(true);
    });

    it('never lets concurrent calls past the limit', async () => {
      const [p, u] = [policy(10), user()];
      const decisions = await Promise.all(Array.from({ length: 30 }, () => store.consume(p, u)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
      expect((await store.consume(p, u)).allowed).toBe(false);
    });

    it('refunds points an allowed call took', async () => {
      const [p, u] = [policy(2), user()];
      const first = await store.consume(p, u);
      await store.consume(p, u);
      await store.refund(p, u, first);
      expect(await store.consume(p, u)).toMatchObject({ allowed: true, remaining: 0 });
      expect((await store.consume(p, u)).allowed).toBe(false);
    });

    it('starts again in the next window, and a late refund does not credit it', async () => {
      const [p, u] = [policy(1, 1), user()];
      await nextWindow(1); // start at the beginning of a 1 s window
      const old = await store.consume(p, u);
      expect(old.allowed).toBe(true);
      expect((await store.consume(p, u)).allowed).toBe(false);
      await nextWindow(1);
      await store.refund(p, u, old); // for the window that has ended
      const fresh = await store.consume(p, u);
      expect(fresh).toMatchObject({ allowed: true, remaining: 0 });
      expect(fresh.reset).toBeGreaterThan(old.reset);
      expect((await store.consume(p, u)).allowed).toBe(false);
    });
  });
}
