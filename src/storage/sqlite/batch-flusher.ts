/**
 * @module storage/sqlite/batch-flusher
 * The write-behind loop of the SQLite stores that keep their state in memory (counters, response
 * cache): a change only schedules a flush, so the caller's stack never touches the disk; the
 * flush takes every pending change at once and writes it in one transaction `flushMs` later. A
 * batch that fails to write is put back under whatever changed since and tried again with the
 * next one; closing writes what is still pending. What a batch holds, and how it merges back, is
 * the store's own.
 */

export interface BatchFlusherOptions<Batch> {
  /** Longest a change waits before it is written. */
  flushMs: number;
  /** Takes the pending changes (leaving none behind), or undefined when there are none. */
  take(): Batch | undefined;
  /** Writes a batch in one transaction; throws to have it put back. */
  write(batch: Batch): void;
  /** Puts a batch that could not be written back under the changes made since it was taken. */
  restore(batch: Batch): void;
  /** Told about a failed write. */
  onError(error: unknown): void;
}

export interface BatchFlusher {
  /** Called on every change: a flush follows within `flushMs`. */
  schedule(): void;
  /** Writes what is pending now and stops the timer (on close). */
  close(): void;
}

export function createBatchFlusher<Batch>(options: BatchFlusherOptions<Batch>): BatchFlusher {
  let timer: NodeJS.Timeout | undefined;

  function flush(): void {
    timer = undefined;
    const batch = options.take();
    if (batch === undefined) return;
    try {
      options.write(batch);
    } catch (error) {
      options.restore(batch);
      options.onError(error);
      schedule();
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
      flush();
      // A failed final write rescheduled itself: nothing may run after close.
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
