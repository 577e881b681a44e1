/**
 * @module storage/memory/memory-counter-store
 * The CounterStore of one process. Each operation runs to completion on the event loop without
 * awaiting, which makes it atomic. Lapsing is lazy: a counter remembers its earliest expiry and
 * only scans its reservations once that moment has passed, and a sweep at most once a minute
 * forgets lapsed reservations past their grace period, so an idle store holds no timers.
 *
 * A journal, when given, hears every change as it happens (the SQLite store persists through
 * it), and a snapshot seeds the state at start. Every operation is also offered synchronously
 * (`local`), which is what admission uses: no promise per counter on the request path.
 * Reservation ids are a random per-store prefix and a sequence number — unique across restarts
 * (a persisted reservation keeps its id), and cheaper than a UUID per reservation.
 */

import { randomBytes } from 'node:crypto';
import type {
  CounterState,
  CounterStore,
  LocalCounterOps,
  ReserveResult,
  WindowHit,
} from '../admission-ports.js';
import { bucketStart, decideHit } from '../counter-window.js';

/** Rows of a persisted counter store. */
export interface CounterSnapshot {
  counters: { key: string; used: number }[];
  reservations: { id: string; key: string; amount: number; expiresAt: number }[];
  windows: { key: string; windowMs: number; start: number; previous: number; current: number }[];
}

/** A rate window as the store keeps it: the same object for as long as the store lives. */
export interface WindowState {
  readonly key: string;
  readonly windowMs: number;
  readonly start: number;
  readonly previous: number;
  readonly current: number;
}

/** Told about each change right after it is made, on the caller's stack: keep it cheap. */
export interface CounterJournal {
  used(key: string, used: number): void;
  reserved(id: string, key: string, amount: number, expiresAt: number): void;
  /** The reservation is settled, released, or forgotten after its grace period. */
  removed(id: string): void;
  /**
   * The window changed. It is the store's live object (read its values when writing, not now):
   * a window hit a thousand times between two writes is remembered once, with no copy per hit.
   */
  window(window: WindowState): void;
}

export interface MemoryCounterStoreOptions {
  /** The clock (tests inject one); defaults to Date.now. */
  now?: () => number;
  /** How long a lapsed reservation can still be settled; default one hour. */
  lapseGraceMs?: number;
  journal?: CounterJournal;
  initial?: CounterSnapshot;
  /** Runs on close, before the state is dropped (the SQLite store's last write). */
  onClose?: () => Promise<void>;
}

interface Counter {
  key: string;
  used: number;
  reserved: number;
  live: Map<string, Reservation>;
  /** Earliest expiry among `live`; Infinity when none. */
  nextExpiry: number;
}

interface Reservation {
  counter: Counter;
  amount: number;
  expiresAt: number;
  lapsed: boolean;
}

interface Window {
  key: string;
  windowMs: number;
  start: number;
  previous: number;
  current: number;
}

const SWEEP_EVERY_MS = 60_000;
const HOUR_MS = 3_600_000;

export function createMemoryCounterStore(options: MemoryCounterStoreOptions = {}): CounterStore {
  const now = options.now ?? Date.now;
  const graceMs = options.lapseGraceMs ?? HOUR_MS;
  const journal = options.journal;
  const counters = new Map<string, Counter>();
  const reservations = new Map<string, Reservation>();
  // By counter key alone (callers pass the same key string every time, so its hash is cached):
  // the window of the first `windowMs` a key was used with. A key used with another `windowMs`
  // too (no caller does; the port allows it) keeps that window in `otherWindows`.
  const windows = new Map<string, Window>();
  const otherWindows = new Map<string, Window>();
  const windowOf = (key: string, windowMs: number): Window | undefined => {
    const window = windows.get(key);
    return window === undefined || window.windowMs === windowMs
      ? window
      : otherWindows.get(`${windowMs}\u0000${key}`);
  };
  const addWindow = (window: Window): void => {
    const first = windows.get(window.key);
    if (first === undefined) windows.set(window.key, window);
    else if (first.windowMs !== window.windowMs)
      otherWindows.set(`${window.windowMs}\u0000${window.key}`, window);
  };
  let nextSweep = now() + SWEEP_EVERY_MS;
  let closed = false;

  function counterOf(key: string): Counter {
    let counter = counters.get(key);
    if (counter === undefined) {
      counter = { key, used: 0, reserved: 0, live: new Map(), nextExpiry: Number.POSITIVE_INFINITY };
      counters.set(key, counter);
    }
    return counter;
  }

  function lapseExpired(counter: Counter, at: number): void {
    if (at < counter.nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [id, reservation] of counter.live) {
      if (reservation.expiresAt <= at) {
        counter.live.delete(id);
        counter.reserved -= reservation.amount;
        reservation.lapsed = true;
      } else if (reservation.expiresAt < next) {
        next = reservation.expiresAt;
      }
    }
    counter.nextExpiry = next;
  }

  function sweep(at: number): void {
    if (at < nextSweep) return;
    nextSweep = at + SWEEP_EVERY_MS;
    for (const counter of counters.values()) lapseExpired(counter, at);
    for (const [id, reservation] of reservations) {
      if (reservation.lapsed && reservation.expiresAt + graceMs <= at) {
        reservations.delete(id);
        journal?.removed(id);
      }
    }
  }

  function hold(id: string, counter: Counter, amount: number, expiresAt: number): void {
    const reservation: Reservation = { counter, amount, expiresAt, lapsed: false };
    counter.live.set(id, reservation);
    counter.reserved += amount;
    if (expiresAt < counter.nextExpiry) counter.nextExpiry = expiresAt;
    reservations.set(id, reservation);
  }

  function stateOf(counter: Counter): CounterState {
    return { used: counter.used, reserved: counter.reserved, reservations: counter.live.size };
  }

  function take(reservationId: string): Reservation | undefined {
    const reservation = reservations.get(reservationId);
    if (reservation === undefined) return undefined;
    reservations.delete(reservationId);
    const { counter } = reservation;
    lapseExpired(counter, now());
    if (!reservation.lapsed) {
      counter.live.delete(reservationId);
      counter.reserved -= reservation.amount;
    }
    journal?.removed(reservationId);
    return reservation;
  }

  function assertOpen(): void {
    if (closed) throw new Error('counter store is closed');
  }

  const seed = options.initial;
  if (seed !== undefined) {
    const at = now();
    for (const { key, used } of seed.counters) counterOf(key).used = used;
    for (const { id, key, amount, expiresAt } of seed.reservations) {
      if (expiresAt + graceMs <= at) continue;
      hold(id, counterOf(key), amount, expiresAt);
    }
    for (const { key, windowMs, start, previous, current } of seed.windows) {
      addWindow({ key, windowMs, start, previous, current });
    }
  }

  const idPrefix = `r${randomBytes(9).toString('base64url')}-`;
  let idSequence = 0;

  const local: LocalCounterOps = {
    reserve(key, amount, limit, ttlMs): ReserveResult {
      assertOpen();
      const at = now();
      sweep(at);
      const counter = counterOf(key);
      lapseExpired(counter, at);
      const { used, reserved } = counter;
      if (used + reserved + amount > limit) return { ok: false, used, reserved };
      const id = idPrefix + (++idSequence).toString(36);
      const expiresAt = at + ttlMs;
      hold(id, counter, amount, expiresAt);
      journal?.reserved(id, key, amount, expiresAt);
      return { ok: true, used, reserved, reservationId: id };
    },

    settle(reservationId, actual) {
      assertOpen();
      const reservation = take(reservationId);
      if (reservation === undefined) return undefined;
      const { counter } = reservation;
      if (actual !== 0) {
        counter.used += actual;
        journal?.used(counter.key, counter.used);
      }
      return stateOf(counter);
    },

    release(reservationId) {
      assertOpen();
      return take(reservationId) !== undefined;
    },

    hit(key, windowMs, limit, weight): WindowHit {
      assertOpen();
      const at = now();
      const start = bucketStart(at, windowMs);
      let window = windowOf(key, windowMs);
      if (window === undefined) {
        window = { key, windowMs, start, previous: 0, current: 0 };
        addWindow(window);
      } else if (window.start !== start) {
        window.previous = window.start === start - windowMs ? window.current : 0;
        window.current = 0;
        window.start = start;
      }
      const decision = decideHit(window.previous, window.current, at, windowMs, limit, weight);
      if (decision.allowed && weight !== 0) {
        window.current += weight;
        journal?.window(window);
      }
      return decision;
    },

    adjust(key, windowMs, delta, at) {
      assertOpen();
      const window = windowOf(key, windowMs);
      if (window === undefined) return;
      const bucket = bucketStart(at, windowMs);
      const current = bucketStart(now(), windowMs);
      if (bucket === window.start && bucket === current) {
        window.current = Math.max(0, window.current + delta);
      } else if (bucket === window.start - windowMs && window.start === current) {
        window.previous = Math.max(0, window.previous + delta);
      } else if (bucket === window.start && bucket === current - windowMs) {
        // The window has not been hit since it rolled over: the hit's bucket is now the previous one.
        window.previous = Math.max(0, window.current + delta);
        window.current = 0;
        window.start = current;
      } else {
        return;
      }
      journal?.window(window);
    },
  };

  const store: CounterStore = {
    async reserve(key, amount, limit, ttlMs) {
      return local.reserve(key, amount, limit, ttlMs);
    },
    async settle(reservationId, actual) {
      return local.settle(reservationId, actual);
    },
    async release(reservationId) {
      return local.release(reservationId);
    },
    async get(key) {
      assertOpen();
      const counter = counters.get(key);
      if (counter === undefined) return { used: 0, reserved: 0, reservations: 0 };
      lapseExpired(counter, now());
      return stateOf(counter);
    },
    async hit(key, windowMs, limit, weight) {
      return local.hit(key, windowMs, limit, weight);
    },
    async adjust(key, windowMs, delta, at) {
      local.adjust(key, windowMs, delta, at);
    },

    async close() {
      if (closed) return;
      closed = true;
      await options.onClose?.();
      counters.clear();
      reservations.clear();
      windows.clear();
      otherWindows.clear();
    },
  };
  // Not enumerable: a wrapper built by spreading this store (`{ ...store, reserve }`) must not
  // inherit a synchronous face that would go around its own methods.
  Object.defineProperty(store, 'local', { value: local, enumerable: false });
  return store;
}
