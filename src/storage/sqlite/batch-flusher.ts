/**
 * @module storage/sqlite/batch-flusher
 * The write-behind loop of the SQLite stores that keep their state in memory (counters, response
 * cache): a change only schedules a flush, so the caller's stack never touches the disk; the
 * flush takes every pending change at once and writes it in one transaction `flushMs` later. A
 * batch that fails to write is put back under whatever changed since and tried again with the
 * next one; closing writes what is still pending. What a batch holds, and how it merges back, is
 * the store's own.
 *
 * These flushes run on the event loop, and the file's write lock is often held by the ledger's
 * writer thread (a batch commit): SQLite's busy handler would then sleep the whole event loop, in
 * steps of 1, 2, 5, 10… ms (flushes of 3–8 ms were seen under load). So a flush first tries
 * without waiting (`busy_timeout` 0 for its duration) and, finding the file locked, is tried again
 * `BUSY_RETRY_MS` later, silently; only after `BUSY_TRIES` such tries, and on close, does it wait
 * as the connection is set to.
 */

import type Database from 'better-sqlite3';

/** Wait between tries of a flush that found the file locked. */
export const BUSY_RETRY_MS = 2;
/** Tries without waiting before a flush waits for the lock (~50 ms of retries). */
export const BUSY_TRIES = 25;

export interface BatchFlusherOptions<Batch> {
  /** Longest a change waits before it is written. */
  flushMs: number;
  /** Takes the pending changes (leaving none behind), or undefined when there are none. */
  take(): Batch | undefined;
  /** Writes a batch in one transaction; throws to have it put back. */
  write(batch: Batch): void;
  /** Puts a batch that could not be written back under the changes made since it was taken. */
  restore(batch: Batch): void;
  /** Told about a failed write (not about a try that found the file locked and will be retried). */
  onError(error: unknown): void;
  /** The connection `write` goes through: given, a flush tries first without waiting for a lock. */
  db?: Database.Database;
}

export interface BatchFlusher {
  /** Called on every change: a flush follows within `flushMs`. */
  schedule(): void;
  /** Writes what is pending now and stops the timer (on close). */
  close(): void;
}

export function createBatchFlusher<Batch>(options: BatchFlusherOptions<Batch>): BatchFlusher {
  const { db } = options;
  let timer: NodeJS.Timeout | undefined;
  // Tries in a row that found the file locked.
  let busy = 0;

  function flush(): void {
    timer = undefined;
    const batch = options.take();
    if (batch === undefined) return;
    const wait = db === undefined || busy >= BUSY_TRIES;
    try {
      if (wait) options.write(batch);
      else writeWithoutWaiting(db, batch);
      busy = 0;
    } catch (error) {
      options.restore(batch);
      if (!wait && isBusy(error)) {
        busy++;
        timer = setTimeout(flush, BUSY_RETRY_MS);
        timer.unref();
        return;
      }
      busy = 0;
      options.onError(error);
      schedule();
    }
  }

  function writeWithoutWaiting(connection: Database.Database, batch: Batch): void {
    const timeoutMs = connection.pragma('busy_timeout', { simple: true }) as number;
    connection.pragma('busy_timeout = 0');
    try {
      options.write(batch);
    } finally {
      connection.pragma(`busy_timeout = ${timeoutMs}`);
    }
  }

  function schedule(): void {
    if (timer !== undefined) return;
    timer = setTimeout(flush, options.flushMs);
    timer.unref();
  }

  return {
    schedule,
    close() {
      if (timer !== undefined) clearTimeout(timer);
      // The last write waits for the lock as long as the connection allows.
      busy = BUSY_TRIES;
      flush();
      // A failed final write rescheduled itself: nothing may run after close.
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** SQLITE_BUSY and its extended codes: another connection holds the lock. */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
