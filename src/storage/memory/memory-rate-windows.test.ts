import { describe, expect, it } from 'vitest';
import { bucketStart, decideHit } from '../counter-window.js';
import { createRateWindows } from './memory-rate-windows.js';

/** The windows as they were before a window remembered its bucket's end: bucketStart on every call. */
function reference() {
  const windows = new Map<string, { start: number; previous: number; current: number }>();
  return {
    hit(key: string, windowMs: number, limit: number, weight: number, at: number) {
      const start = bucketStart(at, windowMs);
      let window = windows.get(`${windowMs}:${key}`);
      if (window === undefined) {
        window = { start, previous: 0, current: 0 };
        windows.set(`${windowMs}:${key}`, window);
      } else if (window.start !== start) {
        window.previous = window.start === start - windowMs ? window.current : 0;
        window.current = 0;
        window.start = start;
      }
      const decision = decideHit(window.previous, window.current, at, windowMs, limit, weight);
      if (decision.allowed) window.current += weight;
      return decision;
    },
    adjust(key: string, windowMs: number, delta: number, at: number, now: number) {
      const window = windows.get(`${windowMs}:${key}`);
      if (window === undefined) return;
      const bucket = bucketStart(at, windowMs);
      const current = bucketStart(now, windowMs);
      if (bucket === window.start && bucket === current) window.current = Math.max(0, window.current + delta);
      else if (bucket === window.start - windowMs && window.start === current)
        window.previous = Math.max(0, window.previous + delta);
      else if (bucket === window.start && bucket === current - windowMs) {
        window.previous = Math.max(0, window.current + delta);
        window.current = 0;
        window.start = current;
      }
    },
  };
}

describe('rate windows', () => {
  it('decide as bucketStart on every call would, across bucket edges, fractions and negative times', () => {
    const windows = createRateWindows([], undefined);
    const expected = reference();
    // A small pseudo-random walk of the clock, mostly forwards, sometimes onto or just before an edge.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * n);
    };
    for (const windowMs of [60_000, 1_000, 7, 2.5]) {
      let at = windowMs === 7 ? -100 : Date.UTC(2026, 0, 1, 12);
      for (let step = 0; step < 3_000; step++) {
        const move = next(10);
        if (move < 5) at += next(windowMs * 2);
        else if (move < 7) at = bucketStart(at, windowMs) + windowMs - (next(2) === 0 ? 0 : 1);
        else if (move < 8) at -= next(windowMs);
        else at += 0.5;
        const key = `k${next(2)}`;
        if (next(4) === 0) {
          const hitAt = at - next(windowMs * 3);
          const delta = next(7) - 3;
          windows.adjust(key, windowMs, delta, hitAt, at);
          expected.adjust(key, windowMs, delta, hitAt, at);
        } else {
          const weight = next(4);
          expect(windows.hit(key, windowMs, 20, weight, at), `${windowMs} ms at ${at}`).toEqual(
            expected.hit(key, windowMs, 20, weight, at),
          );
        }
      }
    }
  });

  it('tells of each change, handing over the live window', () => {
    const changed: unknown[] = [];
    const windows = createRateWindows(
      [{ key: 'k', windowMs: 1_000, start: 5_000, previous: 0, current: 3 }],
      (window) => changed.push(window),
    );
    windows.hit('k', 1_000, 10, 2, 5_500);
    windows.hit('k', 1_000, 10, 0, 5_600);
    windows.adjust('k', 1_000, -1, 5_500, 5_700);
    expect(changed).toHaveLength(2);
    expect(changed[0]).toBe(changed[1]);
    expect(changed[0]).toMatchObject({ key: 'k', start: 5_000, current: 4 });
  });
});
