import { describe, expect, it } from 'vitest';
import type { CounterStore } from '../admission-ports.js';
import { type CounterJournal, createMemoryCounterStore, type WindowState } from './memory-counter-store.js';

const MINUTE = 60_000;

describe('memory counter store: the synchronous face', () => {
  it('offers every operation synchronously, on the same state as the promised ones', async () => {
    const store = createMemoryCounterStore({ now: () => 1_000_000 });
    const local = store.local!;
    const held = local.reserve('budget', 300, 1_000, MINUTE);
    expect(held).toMatchObject({ ok: true, used: 0, reserved: 0 });
    expect(await store.get('budget')).toEqual({ used: 0, reserved: 300, reservations: 1 });
    expect(local.reserve('budget', 800, 1_000, MINUTE)).toMatchObject({ ok: false, reserved: 300 });
    expect(local.settle(held.reservationId!, 120)).toEqual({ used: 120, reserved: 0, reservations: 0 });
    // Settled once: a second settle (either face) finds nothing.
    expect(local.settle(held.reservationId!, 120)).toBeUndefined();
    expect(await store.settle(held.reservationId!, 120)).toBeUndefined();
    expect(local.hit('rate', MINUTE, 2, 1)).toMatchObject({ allowed: true, remaining: 1 });
    expect((await store.hit('rate', MINUTE, 2, 1)).allowed).toBe(true);
    expect(local.hit('rate', MINUTE, 2, 1)).toMatchObject({ allowed: false });
    local.adjust('rate', MINUTE, -1, 1_000_000);
    expect(local.hit('rate', MINUTE, 2, 1).allowed).toBe(true);
  });

  it('gives reservations distinct ids, unique across stores (they are persisted)', () => {
    const a = createMemoryCounterStore().local!;
    const b = createMemoryCounterStore().local!;
    const ids = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      ids.add(a.reserve('k', 1, 1e9, MINUTE).reservationId!);
      ids.add(b.reserve('k', 1, 1e9, MINUTE).reservationId!);
    }
    expect(ids.size).toBe(2_000);
  });

  it('is not inherited by a store built by spreading this one', async () => {
    const real = createMemoryCounterStore();
    const wrapped: CounterStore = { ...real, reserve: () => Promise.reject(new Error('down')) };
    expect(real.local).toBeDefined();
    expect(wrapped.local).toBeUndefined();
  });

  it('keeps one window per key and window length', () => {
    const local = createMemoryCounterStore({ now: () => 5 * MINUTE }).local!;
    expect(local.hit('k', MINUTE, 1, 1).allowed).toBe(true);
    expect(local.hit('k', MINUTE, 1, 1).allowed).toBe(false);
    // The same key over another length is another window.
    expect(local.hit('k', 10 * MINUTE, 1, 1).allowed).toBe(true);
    expect(local.hit('k', 10 * MINUTE, 1, 1).allowed).toBe(false);
  });

  it('tells the journal about a window by handing over the live window itself', () => {
    const seen: WindowState[] = [];
    const journal: CounterJournal = { used() {}, reserved() {}, removed() {}, window: (w) => seen.push(w) };
    const local = createMemoryCounterStore({ now: () => 5 * MINUTE, journal }).local!;
    local.hit('k', MINUTE, 10, 2);
    local.hit('k', MINUTE, 10, 3);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]).toMatchObject({ key: 'k', windowMs: MINUTE, start: 5 * MINUTE, current: 5 });
  });
});
