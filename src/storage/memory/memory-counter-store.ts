/**
 * @module storage/memory/memory-counter-store
 * The CounterStore of one process. Each operation runs to completion on the event loop without
 * awaiting, which makes it atomic. Lapsing is lazy: a counter remembers its earliest expiry and
 * only scans its reservations once that moment has passed, and a sweep at most once a minute
 * forgets lapsed reservations past their grace period, so an idle store holds no timers.
 *
 * A journal, when given, hears every change as it happens (the SQLite store persists through
 * it; a counter or window it marked pending is not told of again until it clears the mark), and
 * a snapshot seeds the state at start. Every operation is also offered synchronously
 * (`local`), which is what admission uses: no promise per counter on the request path, and
 * reservations held by handle (`local.hold`), which enter no index by id: a counter threads its
 * live reservations through the reservations themselves, so holding and settling one costs a few
 * pointer writes. Reservation ids are a random per-store prefix and a sequence number — unique
 * across restarts (a persisted reservation keeps its id), and cheaper than a UUID per reservation;
 * a held one's is made only if it is read (most are settled before anything writes them).
 * The rate windows are memory-rate-windows.ts's.
 */

import { randomBytes } from 'node:crypto';
import type {
  CounterState,
  CounterStore,
  HoldResult,
  LocalCounterOps,
  LocalHold,
  ReserveResult,
  WindowHit,
} from '../admission-ports.js';
import { createRateWindows, type WindowRow, type WindowState } from './memory-rate-windows.js';

export type { WindowState } from './memory-rate-windows.js';

/** Rows of a persisted counter store. */
export interface CounterSnapshot {
  counters: { key: string; used: number }[];
  reservations: { id: string; key: string; amount: number; expiresAt: number }[];
  windows: WindowRow[];
}

/** A reservation made by handle (`local.hold`), as the store keeps it: the same object until it ends. */
export interface HeldReservation {
  readonly id: string;
  readonly key: string;
  readonly amount: number;
  readonly expiresAt: number;
  /** Grows with every reservation the store makes: a later one has a larger sequence. */
  readonly sequence: number;
  /** Settled, released, or forgotten after the grace period. */
  readonly ended: boolean;
}

/**
 * How a journal hears of reservations made by handle: as the store's live objects, when made and
 * when ended (settled, released, or forgotten after the grace period). Most end before the next
 * write and need none, so nothing has to be looked up by id for them.
 */
export interface HoldJournal {
  made(reservation: HeldReservation): void;
  ended(reservation: HeldReservation): void;
}

/** A counter's spend as the store keeps it: the same object for as long as the store lives. */
export interface CounterValue {
  readonly key: string;
  readonly used: number;
  /** The journal's mark, as `WindowState.journaled`: while set, a change of `used` is not told. */
  journaled: boolean;
}

/**
 * Told about each change right after it is made, on the caller's stack: keep it cheap. Counters
 * and windows are handed over as the store's live objects (read their values when writing), and
 * only while the journal has not marked them pending (`journaled`): a counter changed a thousand
 * times between two writes is told once, if the journal marks it.
 */
export interface CounterJournal {
  used(counter: CounterValue): void;
  reserved(id: string, key: string, amount: number, expiresAt: number): void;
  /** The reservation is settled, released, or forgotten after its grace period. */
  removed(id: string): void;
  /**
   * The window changed. It is the store's live object (read its values when writing, not now):
   * a window hit a thousand times between two writes is told once, with no copy per hit.
   */
  window(window: WindowState): void;
  /** Reservations made by handle; without it they are told by id (`reserved`, `removed`) like the others. */
  holds?: HoldJournal;
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

interface Counter extends CounterValue {
  key: string;
  used: number;
  journaled: boolean;
  reserved: number;
  /** The live reservations, newest first, linked through `next` and `previous`. */
  newest: Reservation | undefined;
  live: number;
  /** Earliest expiry among the live reservations (or among those since removed); Infinity when none. */
  nextExpiry: number;
}

/** What the reservations of one store share: who they belong to, and how their ids begin. */
interface Owner {
  readonly idPrefix: string;
}

/**
 * A reservation as the store keeps it. A class, so that every reservation has one shape; its id
 * is made when first read: one held by handle and settled before anything wrote it needs none.
 */
class Reservation implements HeldReservation, LocalHold {
  /** Past its expiry: no longer held in the counter, still settleable within the grace period. */
  lapsed = false;
  /** Settled, released or forgotten. */
  ended = false;
  /** In the index by id: its id was handed out (`reserve`) or read from a snapshot. */
  indexed = false;
  /** How the journal knows of it, and so how its end is told. */
  told: 'not' | 'by-id' | 'by-handle' = 'not';
  previous: Reservation | undefined = undefined;
  next: Reservation | undefined;

  constructor(
    private givenId: string | undefined,
    readonly counter: Counter,
    readonly amount: number,
    readonly expiresAt: number,
    readonly sequence: number,
    /** The store that made it: a handle from another store is refused. */
    readonly owner: Owner,
    next: Reservation | undefined,
  ) {
    this.next = next;
  }

  get id(): string {
    if (this.givenId === undefined) this.givenId = this.owner.idPrefix + this.sequence.toString(36);
    return this.givenId;
  }

  get key(): string {
    return this.counter.key;
  }
}

const SWEEP_EVERY_MS = 60_000;
const HOUR_MS = 3_600_000;

export function createMemoryCounterStore(options: MemoryCounterStoreOptions = {}): CounterStore {
  const now = options.now ?? Date.now;
  const graceMs = options.lapseGraceMs ?? HOUR_MS;
  const journal = options.journal;
  const holdJournal = journal?.holds;
  const owner: Owner = { idPrefix: `r${randomBytes(9).toString('base64url')}-` };
  const counters = new Map<string, Counter>();
  // By id: the reservations whose id was handed out. Held ones are reached through their handle.
  const reservations = new Map<string, Reservation>();
  // Lapsed and not yet ended: the sweep forgets them after the grace period.
  let lapsedReservations: Reservation[] = [];
  let sequence = 0;
  const windows = createRateWindows(
    options.initial?.windows ?? [],
    journal === undefined ? undefined : (window) => journal.window(window),
  );
  let nextSweep = now() + SWEEP_EVERY_MS;
  let closed = false;

  function counterOf(key: string): Counter {
    let counter = counters.get(key);
    if (counter === undefined) {
      counter = {
        key,
        used: 0,
        journaled: false,
        reserved: 0,
        newest: undefined,
        live: 0,
        nextExpiry: Number.POSITIVE_INFINITY,
      };
      counters.set(key, counter);
    }
    return counter;
  }

  function unlink(counter: Counter, reservation: Reservation): void {
    const { previous, next } = reservation;
    if (previous === undefined) counter.newest = next;
    else previous.next = next;
    if (next !== undefined) next.previous = previous;
    reservation.previous = undefined;
    reservation.next = undefined;
    counter.live--;
    counter.reserved -= reservation.amount;
  }

  function lapseExpired(counter: Counter, at: number): void {
    if (at < counter.nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (let reservation = counter.newest; reservation !== undefined; ) {
      const older: Reservation | undefined = reservation.next;
      if (reservation.expiresAt <= at) {
        unlink(counter, reservation);
        reservation.lapsed = true;
        lapsedReservations.push(reservation);
      } else if (reservation.expiresAt < next) {
        next = reservation.expiresAt;
      }
      reservation = older;
    }
    counter.nextExpiry = next;
  }

  /** Settled, released or forgotten: out of the index, and the journal told if it knows it. */
  function end(reservation: Reservation): void {
    reservation.ended = true;
    if (reservation.indexed) reservations.delete(reservation.id);
    if (reservation.told === 'by-id') journal?.removed(reservation.id);
    else if (reservation.told === 'by-handle') holdJournal?.ended(reservation);
  }

  function sweep(at: number): void {
    if (at < nextSweep) return;
    nextSweep = at + SWEEP_EVERY_MS;
    for (const counter of counters.values()) lapseExpired(counter, at);
    const kept: Reservation[] = [];
    for (const reservation of lapsedReservations) {
      if (reservation.ended) continue;
      if (reservation.expiresAt + graceMs <= at) end(reservation);
      else kept.push(reservation);
    }
    lapsedReservations = kept;
  }

  /** Holds `amount` in the counter; a new reservation's id is made from its sequence number. */
  function hold(id: string | undefined, counter: Counter, amount: number, expiresAt: number): Reservation {
    const newest = counter.newest;
    const reservation = new Reservation(id, counter, amount, expiresAt, ++sequence, owner, newest);
    if (newest !== undefined) newest.previous = reservation;
    counter.newest = reservation;
    counter.live++;
    counter.reserved += amount;
    if (expiresAt < counter.nextExpiry) counter.nextExpiry = expiresAt;
    return reservation;
  }

  function tellById(reservation: Reservation): void {
    if (journal === undefined) return;
    reservation.told = 'by-id';
    journal.reserved(reservation.id, reservation.key, reservation.amount, reservation.expiresAt);
  }

  function index(reservation: Reservation): void {
    reservation.indexed = true;
    reservations.set(reservation.id, reservation);
  }

  function stateOf(counter: Counter): CounterState {
    return { used: counter.used, reserved: counter.reserved, reservations: counter.live };
  }

  /** Ends a reservation that has not ended yet, and gives back what it held (unless it lapsed). */
  function take(reservation: Reservation, at: number): Reservation {
    const { counter } = reservation;
    lapseExpired(counter, at);
    if (!reservation.lapsed) unlink(counter, reservation);
    end(reservation);
    return reservation;
  }

  /** The reservation a handle stands for; undefined when it has ended. */
  function heldBy(handle: LocalHold): Reservation | undefined {
    const reservation = handle as Reservation;
    if (reservation.owner !== owner) throw new Error('a reservation held by another counter store');
    return reservation.ended ? undefined : reservation;
  }

  function settleTaken(reservation: Reservation, actual: number): CounterState {
    const { counter } = reservation;
    if (actual !== 0) {
      counter.used += actual;
      if (journal !== undefined && !counter.journaled) journal.used(counter);
    }
    return stateOf(counter);
  }

  /** Checks the limit and holds `amount`; undefined when it does not fit (see `refusal`). */
  function tryHold(
    key: string,
    amount: number,
    limit: number,
    ttlMs: number,
    at: number,
  ): Reservation | undefined {
    assertOpen();
    sweep(at);
    const counter = counterOf(key);
    lapseExpired(counter, at);
    if (counter.used + counter.reserved + amount > limit) return undefined;
    return hold(undefined, counter, amount, at + ttlMs);
  }

  /** What a refused reservation is told: the counter as it was checked, on the same step. */
  function refusal(key: string): { ok: false; used: number; reserved: number } {
    const counter = counterOf(key);
    return { ok: false, used: counter.used, reserved: counter.reserved };
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
      const reservation = hold(id, counterOf(key), amount, expiresAt);
      // Read from the journal's own rows: it knows it already.
      reservation.told = 'by-id';
      index(reservation);
    }
  }

  const local: LocalCounterOps = {
    now,

    reserve(key, amount, limit, ttlMs): ReserveResult {
      const reservation = tryHold(key, amount, limit, ttlMs, now());
      if (reservation === undefined) return refusal(key);
      const { counter } = reservation;
      index(reservation);
      tellById(reservation);
      return {
        ok: true,
        used: counter.used,
        reserved: counter.reserved - amount,
        reservationId: reservation.id,
      };
    },

    settle(reservationId, actual) {
      assertOpen();
      const reservation = reservations.get(reservationId);
      return reservation === undefined ? undefined : settleTaken(take(reservation, now()), actual);
    },

    release(reservationId) {
      assertOpen();
      const reservation = reservations.get(reservationId);
      if (reservation === undefined) return false;
      take(reservation, now());
      return true;
    },

    hold(key, amount, limit, ttlMs, at = now()): HoldResult {
      const reservation = tryHold(key, amount, limit, ttlMs, at);
      if (reservation === undefined) return refusal(key);
      const { counter } = reservation;
      if (holdJournal !== undefined) {
        reservation.told = 'by-handle';
        holdJournal.made(reservation);
      } else {
        tellById(reservation);
      }
      return { ok: true, used: counter.used, reserved: counter.reserved - amount, hold: reservation };
    },

    settleHold(handle, actual, at = now()) {
      assertOpen();
      const reservation = heldBy(handle);
      return reservation === undefined ? undefined : settleTaken(take(reservation, at), actual);
    },

    releaseHold(handle, at = now()) {
      assertOpen();
      const reservation = heldBy(handle);
      if (reservation === undefined) return false;
      take(reservation, at);
      return true;
    },

    hit(key, windowMs, limit, weight, at = now()): WindowHit {
      assertOpen();
      return windows.hit(key, windowMs, limit, weight, at);
    },

    adjust(key, windowMs, delta, at, clock = now()) {
      assertOpen();
      windows.adjust(key, windowMs, delta, at, clock);
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
      lapsedReservations = [];
      windows.clear();
    },
  };
  // Not enumerable: a wrapper built by spreading this store (`{ ...store, reserve }`) must not
  // inherit a synchronous face that would go around its own methods.
  Object.defineProperty(store, 'local', { value: local, enumerable: false });
  return store;
}
