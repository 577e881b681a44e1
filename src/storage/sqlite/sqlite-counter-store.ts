/**
 * @module storage/sqlite/sqlite-counter-store
 * The CounterStore made durable in SQLite, for a gateway running as one process. The counters
 * live in memory — every check-and-add is the memory store's, atomic on the event loop and
 * microseconds long — and their changes are written behind, one transaction every `flushMs`,
 * off the caller's stack: a budget check never waits on the disk (a synchronous SQLite write per
 * request would cost more than the rest of the gateway's work). At start the store reloads spend,
 * unexpired reservations and rate windows, so a restart neither forgets what was spent nor frees
 * what in-flight requests held; a crash loses at most the last `flushMs` of changes (the ledger
 * still has every request). A reservation settled before its flush never reaches the disk.
 *
 * One process owns the counters of a database file: several gateways on one file would each
 * count alone. Replicas share budgets and rate limits through Redis (DESIGN.md §5).
 */

import Database from 'better-sqlite3';
import type { CounterStore } from '../admission-ports.js';
import {
  type CounterJournal,
  type CounterSnapshot,
  type CounterValue,
  createMemoryCounterStore,
  type HeldReservation,
  type WindowState,
} from '../memory/memory-counter-store.js';
import type { WindowRow } from '../memory/memory-rate-windows.js';
import { createBatchFlusher } from './batch-flusher.js';
import { useWal } from './database-file.js';
import { type Migration, runMigrations } from './migrations.js';

export const COUNTER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'counters, reservations and rate windows',
    sql: `
      CREATE TABLE counter_values (
        key  TEXT PRIMARY KEY,
        used INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE counter_reservations (
        id         TEXT PRIMARY KEY,
        key        TEXT NOT NULL,
        amount     INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE counter_windows (
        key       TEXT NOT NULL,
        window_ms INTEGER NOT NULL,
        start     INTEGER NOT NULL,
        previous  INTEGER NOT NULL,
        current   INTEGER NOT NULL,
        PRIMARY KEY (key, window_ms)
      ) WITHOUT ROWID;
    `,
  },
];

export interface SqliteCounterStoreOptions {
  /** Database file, or an open connection to share (e.g. with the key store). */
  path?: string;
  db?: Database.Database;
  now?: () => number;
  /** How long a lapsed reservation can still be settled; default one hour. */
  lapseGraceMs?: number;
  /** Longest a change waits in memory before it is written; default 100 ms. */
  flushMs?: number;
  /** Told about a failed write; the changes stay pending and are written with the next batch. */
  onError?: (error: unknown) => void;
}

/**
 * Opens (or shares) a database for the admission stores: WAL, synchronous=NORMAL, a busy timeout,
 * and no checkpoints of its own while a ledger writer thread has the file (database-file.ts).
 */
export function openAdmissionDatabase(path: string, busyTimeoutMs = 1_000): Database.Database {
  const db = new Database(path, { timeout: busyTimeoutMs });
  useWal(db, { path });
  return db;
}

const HOUR_MS = 3_600_000;
const ROWS_PER_STATEMENT = 32;

/**
 * A statement `head row, row, … tail` run over a flat list of values, `width` to a row: full
 * statements of ROWS_PER_STATEMENT rows, then one statement of a row for each row left.
 */
function chunked(
  db: Database.Database,
  head: string,
  row: string,
  separator: string,
  tail = '',
): (values: readonly (string | number)[], width: number) => void {
  const many = db.prepare(`${head} ${Array(ROWS_PER_STATEMENT).fill(row).join(separator)}${tail}`);
  const one = db.prepare(`${head} ${row}${tail}`);
  return (values, width) => {
    const step = ROWS_PER_STATEMENT * width;
    let at = 0;
    for (; at + step <= values.length; at += step) many.run(values.slice(at, at + step));
    for (; at < values.length; at += width) one.run(values.slice(at, at + width));
  };
}

export function createSqliteCounterStore(options: SqliteCounterStoreOptions): CounterStore {
  const owned = options.db === undefined;
  const db = options.db ?? openAdmissionDatabase(options.path ?? ':memory:');
  runMigrations(db, 'counters', COUNTER_MIGRATIONS);
  const flushMs = Math.max(0, options.flushMs ?? 100);
  const onError =
    options.onError ?? ((error: unknown) => process.emitWarning(`counter write failed: ${error}`));

  const now = options.now ?? Date.now;
  // Reservations past their grace period will never be settled: forget them before loading.
  db.prepare<[number]>('DELETE FROM counter_reservations WHERE expires_at <= ?').run(
    now() - (options.lapseGraceMs ?? HOUR_MS),
  );
  const initial: CounterSnapshot = {
    counters: db.prepare<[], { key: string; used: number }>('SELECT key, used FROM counter_values').all(),
    reservations: db
      .prepare<[], CounterSnapshot['reservations'][number]>(
        'SELECT id, key, amount, expires_at AS expiresAt FROM counter_reservations',
      )
      .all(),
    windows: db
      .prepare<[], WindowRow>(
        'SELECT key, window_ms AS windowMs, start, previous, current FROM counter_windows',
      )
      .all(),
  };

  const upsertUsed = db.prepare<[string, number]>(
    'INSERT INTO counter_values (key, used) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET used = excluded.used',
  );
  // Reservations are written and deleted by the hundred (every request in flight at a flush):
  // ROWS_PER_STATEMENT to a statement, which costs a third less than a statement each.
  const insertReservations = chunked(
    db,
    'INSERT OR REPLACE INTO counter_reservations (id, key, amount, expires_at) VALUES',
    '(?, ?, ?, ?)',
    ', ',
  );
  const deleteReservations = chunked(db, 'DELETE FROM counter_reservations WHERE id IN (', '?', ', ', ')');
  const upsertWindow = db.prepare<[string, number, number, number, number]>(
    `INSERT INTO counter_windows (key, window_ms, start, previous, current) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (key, window_ms) DO UPDATE SET start = excluded.start, previous = excluded.previous, current = excluded.current`,
  );

  // Pending changes, newest value per row: a counter or window changed a thousand times between
  // two flushes is written once, and a reservation made and settled between them not at all.
  // Counters and windows are the memory store's live objects, marked `journaled` while listed
  // here (so each is listed once); their values are read when the batch is written.
  let used: CounterValue[] = [];
  let added = new Map<string, [key: string, amount: number, expiresAt: number]>();
  let removed = new Set<string>();
  // The memory store's own held reservations, in the order made: read when the batch is written
  // too. A held reservation that ended by then is skipped; `heldEnded` of them are kept here only
  // until the list is next compacted.
  let held: HeldReservation[] = [];
  let heldEnded = 0;
  // Sequence of the newest held reservation in the last batch written. One no newer that ends now
  // was live when that batch was taken, so it has a row to delete; a newer one has none.
  let writtenThrough = 0;
  let windows: WindowState[] = [];

  const write = db.transaction(
    (
      pendingUsed: readonly CounterValue[],
      pendingAdded: Map<string, [string, number, number]>,
      pendingHeld: readonly HeldReservation[],
      pendingRemoved: Set<string>,
      pendingWindows: readonly WindowState[],
    ) => {
      for (const counter of pendingUsed) upsertUsed.run(counter.key, counter.used);
      const rows: (string | number)[] = [];
      for (const [id, [key, amount, expiresAt]] of pendingAdded) rows.push(id, key, amount, expiresAt);
      for (const r of pendingHeld) if (!r.ended) rows.push(r.id, r.key, r.amount, r.expiresAt);
      insertReservations(rows, 4);
      deleteReservations([...pendingRemoved], 1);
      for (const w of pendingWindows) upsertWindow.run(w.key, w.windowMs, w.start, w.previous, w.current);
    },
  );

  const flusher = createBatchFlusher({
    flushMs,
    onError,
    db,
    take() {
      if (used.length + added.size + held.length + removed.size + windows.length === 0) return undefined;
      const batch = [used, added, held, removed, windows] as const;
      // Written right after they are taken (on the same step): a change from now on is told again.
      for (const counter of used) counter.journaled = false;
      for (const window of windows) window.journaled = false;
      used = [];
      added = new Map();
      held = [];
      heldEnded = 0;
      removed = new Set();
      windows = [];
      return batch;
    },
    write(batch) {
      write.immediate(...batch);
      const newest = batch[2].at(-1);
      if (newest !== undefined) writtenThrough = newest.sequence;
    },
    restore([pendingUsed, pendingAdded, pendingHeld, pendingRemoved, pendingWindows]) {
      for (const counter of pendingUsed) noteUsed(counter);
      for (const [id, row] of pendingAdded) if (!removed.has(id)) added.set(id, row);
      // Older than any made since: back in front, in order.
      held = [...pendingHeld.filter((reservation) => !reservation.ended), ...held];
      for (const id of pendingRemoved) removed.add(id);
      for (const window of pendingWindows) noteWindow(window);
    },
  });
  const schedule = flusher.schedule;

  function noteUsed(counter: CounterValue): void {
    if (counter.journaled) return;
    counter.journaled = true;
    used.push(counter);
  }

  function noteWindow(window: WindowState): void {
    if (window.journaled) return;
    window.journaled = true;
    windows.push(window);
  }

  const journal: CounterJournal = {
    used(counter) {
      noteUsed(counter);
      schedule();
    },
    reserved(id, key, amount, expiresAt) {
      added.set(id, [key, amount, expiresAt]);
      schedule();
    },
    holds: {
      made(reservation) {
        held.push(reservation);
        schedule();
      },
      ended(reservation) {
        if (reservation.sequence <= writtenThrough) {
          removed.add(reservation.id);
          schedule();
        } else if (++heldEnded > 64 && heldEnded * 2 > held.length) {
          // Most of the list has ended: let go of them now rather than at the next write, in
          // place (no batch holds this list: one taken is written on the step it is taken).
          let kept = 0;
          for (const pending of held) if (!pending.ended) held[kept++] = pending;
          held.length = kept;
          heldEnded = 0;
        }
      },
    },
    removed(id) {
      if (!added.delete(id)) removed.add(id);
      schedule();
    },
    window(window) {
      noteWindow(window);
      schedule();
    },
  };

  return createMemoryCounterStore({
    journal,
    initial,
    now,
    ...(options.lapseGraceMs === undefined ? {} : { lapseGraceMs: options.lapseGraceMs }),
    async onClose() {
      flusher.close();
      if (owned) db.close();
    },
  });
}
