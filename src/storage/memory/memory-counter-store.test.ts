import { describe, expect, it } from 'vitest';
import type { CounterStore } from '../admission-ports.js';
import {
  type CounterJournal,
  type CounterValue,
  createMemoryCounterStore,
  type HeldReservation,
  type WindowState,
} from './memory-counter-store.js';

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

describe('memory counter store: reservations held by handle', () => {
  it('holds against the limit like reserve, and settles or releases a handle once', async () => {
    const store = createMemoryCounterStore({ now: () => 1_000_000 });
    const local = store.local!;
    const first = local.hold('budget', 600, 1_000, MINUTE);
    expect(first).toMatchObject({ ok: true, used: 0, reserved: 0 });
    expect(local.hold('budget', 401, 1_000, MINUTE)).toEqual({ ok: false, used: 0, reserved: 600 });
    const second = local.hold('budget', 400, 1_000, MINUTE);
    expect(second).toMatchObject({ ok: true, used: 0, reserved: 600 });
    expect(await store.get('budget')).toEqual({ used: 0, reserved: 1_000, reservations: 2 });
    expect(local.settleHold(first.hold!, 250)).toEqual({ used: 250, reserved: 400, reservations: 1 });
    expect(local.settleHold(first.hold!, 250)).toBeUndefined();
    expect(local.releaseHold(first.hold!)).toBe(false);
    expect(local.releaseHold(second.hold!)).toBe(true);
    expect(local.releaseHold(second.hold!)).toBe(false);
    expect(await store.get('budget')).toEqual({ used: 250, reserved: 0, reservations: 0 });
  });

  it('never passes the limit over a thousand holds, and settling them all adds up exactly', async () => {
    const store = createMemoryCounterStore();
    const local = store.local!;
    const results = Array.from({ length: 1_000 }, () => local.hold('c', 7, 700, MINUTE));
    const held = results.filter((result) => result.ok);
    expect(held).toHaveLength(100);
    for (const [i, result] of held.entries()) local.settleHold(result.hold!, i % 2 === 0 ? 3 : 7);
    expect(await store.get('c')).toEqual({ used: 500, reserved: 0, reservations: 0 });
  });

  it('lapses on time; a late settlement still charges within the grace period, not after it', async () => {
    let now = 10 * MINUTE;
    const store = createMemoryCounterStore({ now: () => now, lapseGraceMs: 5 * MINUTE });
    const local = store.local!;
    const late = local.hold('e', 60, 100, 10_000).hold!;
    const forgotten = local.hold('e', 40, 100, 10_000).hold!;
    now += 10_000;
    expect(await store.get('e')).toEqual({ used: 0, reserved: 0, reservations: 0 });
    expect(local.settleHold(late, 25)).toEqual({ used: 25, reserved: 0, reservations: 0 });
    now += 6 * MINUTE;
    local.hold('sweep', 1, 1, MINUTE);
    expect(local.settleHold(forgotten, 10)).toBeUndefined();
    expect(await store.get('e')).toEqual({ used: 25, reserved: 0, reservations: 0 });
  });

  it('takes the time of a step when given, and refuses a handle of another store', () => {
    let now = 5 * MINUTE;
    const local = createMemoryCounterStore({ now: () => now }).local!;
    const held = local.hold('b', 10, 100, 1_000, now - 1_000).hold!;
    // Held a second ago with a one-second ttl: it has lapsed by the store's own clock.
    expect(local.hold('b', 95, 100, MINUTE)).toMatchObject({ ok: true, reserved: 0 });
    expect(local.settleHold(held, 5)).toEqual({ used: 5, reserved: 95, reservations: 1 });
    expect(local.hit('r', MINUTE, 10, 1, now + MINUTE)).toMatchObject({ allowed: true, at: now + MINUTE });
    now += MINUTE;
    expect(local.hit('r', MINUTE, 10, 1)).toMatchObject({ count: 1, remaining: 8 });
    const other = createMemoryCounterStore().local!.hold('b', 1, 10, MINUTE).hold!;
    expect(() => local.settleHold(other, 1)).toThrow(/another counter store/);
  });

  it('tells a journal of held reservations as live objects, made and ended — or by id without `holds`', () => {
    const events: string[] = [];
    const journal: CounterJournal = {
      used() {},
      reserved: (id) => events.push(`reserved ${id}`),
      removed: (id) => events.push(`removed ${id}`),
      window() {},
      holds: {
        made: (r) => events.push(`made ${r.key} ${r.amount} ${r.ended}`),
        ended: (r) => events.push(`ended ${r.key} ${r.ended}`),
      },
    };
    const local = createMemoryCounterStore({ now: () => MINUTE, journal }).local!;
    const held = local.hold('b', 5, 100, MINUTE).hold!;
    local.settleHold(held, 3);
    expect(events).toEqual(['made b 5 false', 'ended b true']);

    const byId: string[] = [];
    const plain = createMemoryCounterStore({
      journal: {
        used() {},
        reserved: (id) => byId.push(`+${id}`),
        removed: (id) => byId.push(`-${id}`),
        window() {},
      },
    }).local!;
    plain.releaseHold(plain.hold('b', 5, 100, MINUTE).hold!);
    expect(byId).toHaveLength(2);
    expect(byId[1]).toBe(`-${byId[0]!.slice(1)}`);
  });

  it('gives a held reservation an id of the same kind, made when first read and kept', () => {
    const made: HeldReservation[] = [];
    const journal: CounterJournal = {
      used() {},
      reserved() {},
      removed() {},
      window() {},
      holds: { made: (r) => made.push(r), ended() {} },
    };
    const local = createMemoryCounterStore({ journal }).local!;
    local.hold('b', 1, 100, MINUTE);
    local.hold('b', 1, 100, MINUTE);
    const byId = local.reserve('b', 1, 100, MINUTE).reservationId!;
    const [first, second] = made;
    const id = first!.id;
    expect(first!.id).toBe(id);
    expect(id).not.toBe(second!.id);
    // One prefix per store, then the sequence: the held ones were made before the one by id.
    expect(id.slice(0, id.lastIndexOf('-'))).toBe(byId.slice(0, byId.lastIndexOf('-')));
    expect(id).toMatch(/-1$/);
    expect(byId).toMatch(/-3$/);
  });

  it('tells a journal of a counter or window once while the journal has it marked pending', () => {
    const counters: CounterValue[] = [];
    const windows: WindowState[] = [];
    const journal: CounterJournal = {
      used(counter) {
        counter.journaled = true;
        counters.push(counter);
      },
      reserved() {},
      removed() {},
      window(window) {
        window.journaled = true;
        windows.push(window);
      },
    };
    const local = createMemoryCounterStore({ now: () => MINUTE, journal }).local!;
    for (let i = 0; i < 3; i++) {
      local.settleHold(local.hold('b', 5, 100, MINUTE).hold!, 2);
      local.hit('r', MINUTE, 10, 1);
    }
    expect(counters).toHaveLength(1);
    expect(counters[0]).toMatchObject({ key: 'b', used: 6 });
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ key: 'r', current: 3 });
    // Written: the journal clears its marks, and the next change is told again.
    counters[0]!.journaled = false;
    windows[0]!.journaled = false;
    local.settleHold(local.hold('b', 5, 100, MINUTE).hold!, 2);
    local.adjust('r', MINUTE, -1, MINUTE);
    expect(counters).toHaveLength(2);
    expect(windows).toHaveLength(2);
    expect(windows[1]).toMatchObject({ current: 2 });
  });

  it('rolls a window read from a snapshot over like any other', () => {
    const start = 10 * MINUTE;
    const local = createMemoryCounterStore({
      now: () => start + MINUTE + 15_000,
      initial: {
        counters: [],
        reservations: [],
        windows: [{ key: 'r', windowMs: MINUTE, start, previous: 0, current: 8 }],
      },
    }).local!;
    // A quarter into the next bucket, 6 of the 8 still count.
    expect(local.hit('r', MINUTE, 10, 1)).toMatchObject({ allowed: true, count: 6, remaining: 3 });
  });
});
