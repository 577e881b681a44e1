/**
 * @module storage/counter-store.contract
 * The one test suite every CounterStore backend must pass. It fixes what the port's comments
 * promise: check-and-add never lets used + reserved pass the limit, even under 1,000 concurrent
 * reservations; settle replaces a reservation by the actual amount exactly once; reservations
 * lapse after their ttl and a late settle still charges within the grace period; the sliding
 * window admits exactly its limit, slides, and reports when to retry; adjust corrects a hit.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { CounterStore } from './admission-ports.js';

export interface TestClock {
  now: () => number;
  advance(ms: number): void;
  set(at: number): void;
}

export function createTestClock(start = Date.UTC(2026, 0, 1, 12)): TestClock {
  let at = start;
  return {
    now: () => at,
    advance(ms) {
      at += ms;
    },
    set(value) {
      at = value;
    },
  };
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

export function describeCounterStoreContract(
  name: string,
  create: (clock: TestClock) => CounterStore | Promise<CounterStore>,
): void {
  describe(`CounterStore contract — ${name}`, () => {
    let store: CounterStore | undefined;
    let clock: TestClock;
    const open = async () => {
      clock = createTestClock();
      store = await create(clock);
      return store;
    };
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    describe('reservations', () => {
      it('reserves within the limit and refuses what would pass it', async () => {
        const s = await open();
        const first = await s.reserve('b', 60, 100, MINUTE);
        expect(first).toMatchObject({ ok: true, used: 0, reserved: 0 });
        expect(typeof first.reservationId).toBe('string');
        const second = await s.reserve('b', 41, 100, MINUTE);
        expect(second).toEqual({ ok: false, used: 0, reserved: 60 });
        const third = await s.reserve('b', 40, 100, MINUTE);
        expect(third).toMatchObject({ ok: true, used: 0, reserved: 60 });
        expect(await s.get('b')).toEqual({ used: 0, reserved: 100, reservations: 2 });
        expect(await s.get('other')).toEqual({ used: 0, reserved: 0, reservations: 0 });
      });

      it('settle replaces the reservation by the actual amount, once', async () => {
        const s = await open();
        const { reservationId } = await s.reserve('b', 50, 100, MINUTE);
        expect(await s.settle(reservationId!, 12)).toEqual({ used: 12, reserved: 0, reservations: 0 });
        expect(await s.settle(reservationId!, 12)).toBeUndefined();
        expect(await s.release(reservationId!)).toBe(false);
        expect(await s.get('b')).toEqual({ used: 12, reserved: 0, reservations: 0 });
        // Used counts against the limit from now on.
        expect((await s.reserve('b', 89, 100, MINUTE)).ok).toBe(false);
        expect((await s.reserve('b', 88, 100, MINUTE)).ok).toBe(true);
      });

      it('settle may charge more than was reserved (the spend happened)', async () => {
        const s = await open();
        const { reservationId } = await s.reserve('b', 10, 100, MINUTE);
        expect(await s.settle(reservationId!, 130)).toMatchObject({ used: 130 });
        expect((await s.reserve('b', 0, 100, MINUTE)).ok).toBe(false);
      });

      it('release frees the reservation without charging, once', async () => {
        const s = await open();
        const { reservationId } = await s.reserve('b', 100, 100, MINUTE);
        expect((await s.reserve('b', 1, 100, MINUTE)).ok).toBe(false);
        expect(await s.release(reservationId!)).toBe(true);
        expect(await s.release(reservationId!)).toBe(false);
        expect(await s.settle(reservationId!, 5)).toBeUndefined();
        expect(await s.get('b')).toEqual({ used: 0, reserved: 0, reservations: 0 });
        expect((await s.reserve('b', 100, 100, MINUTE)).ok).toBe(true);
      });

      it('an unknown reservation settles to nothing', async () => {
        const s = await open();
        expect(await s.settle('no-such-reservation', 5)).toBeUndefined();
        expect(await s.release('no-such-reservation')).toBe(false);
      });

      it('counters are independent', async () => {
        const s = await open();
        expect((await s.reserve('a', 100, 100, MINUTE)).ok).toBe(true);
        expect((await s.reserve('b', 100, 100, MINUTE)).ok).toBe(true);
        expect((await s.reserve('a', 1, 100, MINUTE)).ok).toBe(false);
      });

      it('1,000 concurrent reservations never pass the limit; settling them all adds up exactly', async () => {
        const s = await open();
        const results = await Promise.all(
          Array.from({ length: 1_000 }, () => s.reserve('c', 7, 700, MINUTE)),
        );
        const taken = results.filter((r) => r.ok);
        expect(taken).toHaveLength(100);
        expect(await s.get('c')).toEqual({ used: 0, reserved: 700, reservations: 100 });
        await Promise.all(taken.map((r, i) => s.settle(r.reservationId!, i % 2 === 0 ? 3 : 7)));
        expect(await s.get('c')).toEqual({ used: 500, reserved: 0, reservations: 0 });
        // A second wave sees the settled amount: 200 left, 28 of 7 fit.
        const again = await Promise.all(Array.from({ length: 1_000 }, () => s.reserve('c', 7, 700, MINUTE)));
        expect(again.filter((r) => r.ok)).toHaveLength(28);
      });

      it('reservations lapse after their ttl, and a late settle still charges within the grace period', async () => {
        const s = await open();
        const late = await s.reserve('e', 60, 100, 10_000);
        const other = await s.reserve('e', 40, 100, 20_000);
        expect((await s.reserve('e', 1, 100, MINUTE)).ok).toBe(false);
        clock.advance(10_000);
        expect(await s.get('e')).toEqual({ used: 0, reserved: 40, reservations: 1 });
        expect((await s.reserve('e', 60, 100, MINUTE)).ok).toBe(true);
        clock.advance(10_000);
        expect(await s.get('e')).toEqual({ used: 0, reserved: 60, reservations: 1 });
        // The crashed request comes back after all: its spend is real and is charged, once.
        expect(await s.settle(late.reservationId!, 25)).toEqual({ used: 25, reserved: 60, reservations: 1 });
        expect(await s.settle(late.reservationId!, 25)).toBeUndefined();
        // Past the grace period a lapsed reservation is forgotten.
        clock.advance(2 * HOUR);
        await s.reserve('sweep', 1, 1, MINUTE);
        expect(await s.settle(other.reservationId!, 10)).toBeUndefined();
        expect(await s.get('e')).toEqual({ used: 25, reserved: 0, reservations: 0 });
      });
    });

    describe('sliding windows', () => {
      it('admits exactly the limit in a window, then says when to retry', async () => {
        const s = await open();
        clock.set(Date.UTC(2026, 0, 1, 12, 0, 0));
        for (let i = 0; i < 5; i++) {
          const hit = await s.hit('r', MINUTE, 5, 1);
          expect(hit.allowed).toBe(true);
          expect(hit.remaining).toBe(4 - i);
        }
        const refused = await s.hit('r', MINUTE, 5, 1);
        expect(refused.allowed).toBe(false);
        expect(refused.remaining).toBe(0);
        // Everything is in the current bucket: room appears as it slides out of the next window.
        expect(refused.retryAfterMs).toBeGreaterThan(MINUTE);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(2 * MINUTE);
        expect(refused.resetMs).toBe(2 * MINUTE);
      });

      it('slides: the previous bucket counts in proportion to its overlap', async () => {
        const s = await open();
        clock.set(Date.UTC(2026, 0, 1, 12, 0, 0));
        for (let i = 0; i < 10; i++) expect((await s.hit('r', MINUTE, 10, 1)).allowed).toBe(true);
        // A quarter into the next bucket, 7.5 of the 10 still count: 2 more fit, the third does not.
        clock.set(Date.UTC(2026, 0, 1, 12, 1, 15));
        expect((await s.hit('r', MINUTE, 10, 1)).allowed).toBe(true);
        expect((await s.hit('r', MINUTE, 10, 1)).allowed).toBe(true);
        const refused = await s.hit('r', MINUTE, 10, 1);
        expect(refused.allowed).toBe(false);
        expect(refused.count).toBeCloseTo(9.5, 5);
        // 0.5 must slide out: 10 × (1 − f) + 2 + 1 ≤ 10 ⇒ f ≥ 0.3 ⇒ at 12:01:18, 3 s from now.
        expect(refused.retryAfterMs).toBe(3_000);
        clock.advance(3_000);
        expect((await s.hit('r', MINUTE, 10, 1)).allowed).toBe(true);
        // Two windows later nothing is left.
        clock.set(Date.UTC(2026, 0, 1, 12, 3, 0));
        const fresh = await s.hit('r', MINUTE, 10, 1);
        expect(fresh).toMatchObject({ allowed: true, count: 0, remaining: 9 });
      });

      it('counts weights, and refuses a weight larger than the limit', async () => {
        const s = await open();
        expect((await s.hit('t', MINUTE, 1_000, 600)).allowed).toBe(true);
        const refused = await s.hit('t', MINUTE, 1_000, 600);
        expect(refused).toMatchObject({ allowed: false, remaining: 400 });
        expect((await s.hit('t', MINUTE, 1_000, 400)).allowed).toBe(true);
        const huge = await s.hit('u', MINUTE, 1_000, 1_001);
        expect(huge.allowed).toBe(false);
        expect(huge.retryAfterMs).toBeGreaterThan(0);
      });

      it('1,000 concurrent hits admit exactly the limit', async () => {
        const s = await open();
        const hits = await Promise.all(Array.from({ length: 1_000 }, () => s.hit('k', MINUTE, 60, 1)));
        expect(hits.filter((h) => h.allowed)).toHaveLength(60);
      });

      it('windows of different lengths on one key are separate', async () => {
        const s = await open();
        expect((await s.hit('k', MINUTE, 1, 1)).allowed).toBe(true);
        expect((await s.hit('k', 1_000, 1, 1)).allowed).toBe(true);
        expect((await s.hit('k', MINUTE, 1, 1)).allowed).toBe(false);
      });

      it('adjust corrects a hit in its bucket, and is a no-op once the bucket has left the window', async () => {
        const s = await open();
        clock.set(Date.UTC(2026, 0, 1, 12, 0, 10));
        const hit = await s.hit('t', MINUTE, 1_000, 800);
        await s.adjust('t', MINUTE, -700, hit.at);
        expect((await s.hit('t', MINUTE, 1_000, 900)).allowed).toBe(true);
        await s.adjust('t', MINUTE, 50, hit.at);
        expect((await s.hit('t', MINUTE, 1_000, 1)).allowed).toBe(false);
        // In the next bucket the old hit's bucket is the previous one: adjusting it still counts.
        clock.set(Date.UTC(2026, 0, 1, 12, 1, 0));
        await s.adjust('t', MINUTE, -1_050, hit.at);
        expect((await s.hit('t', MINUTE, 1_000, 1_000)).allowed).toBe(true);
        // Never below zero.
        clock.set(Date.UTC(2026, 0, 1, 12, 5, 0));
        await s.adjust('t', MINUTE, -10_000, clock.now());
        expect((await s.hit('t', MINUTE, 1_000, 1_000)).allowed).toBe(true);
        // Long after, the original hit's bucket is gone and the correction does nothing.
        clock.set(Date.UTC(2026, 0, 1, 12, 7, 0));
        await s.adjust('t', MINUTE, 1_000_000, hit.at);
        expect((await s.hit('t', MINUTE, 1_000, 1_000)).allowed).toBe(true);
      });
    });

    it('refuses work once closed', async () => {
      const s = await open();
      await s.close();
      await expect(s.reserve('b', 1, 1, MINUTE)).rejects.toThrow(/closed/);
      store = undefined;
    });
  });
}
