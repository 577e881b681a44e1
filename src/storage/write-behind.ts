/**
 * @module storage/write-behind
 * The write-behind queue every durable ledger uses: `append` only queues (never touches I/O on
 * the caller's stack); batches go to the backend's `write` on a timer or as soon as a batch is
 * full; a failed batch stays queued and is retried with backoff, never dropped; `flush()`
 * resolves once everything appended before the call has been written. What the queue holds of a
 * record is a copy the caller can no longer change: the record itself, deep-copied, or the
 * backend's own encoding of it (SQLite keeps the row values it will insert).
 */

import type { LedgerRecord } from './ports.js';

export interface WriteBehindOptions<Entry> {
  /**
   * What the queue keeps of an appended record, sharing nothing the caller can change later;
   * `copyRecord` when absent.
   */
  keep?: (record: LedgerRecord) => Entry;
  /** Writes one batch durably; rejects to have it retried. */
  write(batch: readonly Entry[]): Promise<void>;
  batchSize: number;
  flushMs: number;
  /** Longest wait between retries of a failed batch. */
  maxRetryMs: number;
  report(error: unknown): void;
}

export interface WriteBehind<Entry = LedgerRecord> {
  /** Queues a copy of the record; a record whose id is already queued is ignored. */
  append(record: LedgerRecord): void;
  /** The queued (not yet written) record with this id, as kept. */
  queued(requestId: string): Entry | undefined;
  flush(): Promise<void>;
  /** Records appended but not yet written. */
  readonly pending: number;
  /** Stops timers and retries (on close, after the final flush). */
  stop(): void;
}

interface Waiter {
  /** Resolve once this many records in total have been written. */
  target: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createWriteBehind(options: WriteBehindOptions<LedgerRecord>): WriteBehind<LedgerRecord>;
export function createWriteBehind<Entry>(
  options: WriteBehindOptions<Entry> & { keep: (record: LedgerRecord) => Entry },
): WriteBehind<Entry>;
export function createWriteBehind<Entry>(options: WriteBehindOptions<Entry>): WriteBehind<Entry> {
  const { batchSize, flushMs } = options;
  // Only the first overload leaves `keep` out, and there Entry is LedgerRecord.
  const keep = options.keep ?? (copyRecord as unknown as (record: LedgerRecord) => Entry);
  // Records [head, queue.length) are not yet written; [head, head + inFlight) are being written.
  // `ids` holds their request ids, index for index.
  let queue: Entry[] = [];
  let ids: string[] = [];
  let head = 0;
  let inFlight = 0;
  let appended = 0;
  let written = 0;
  const queued = new Map<string, Entry>();
  const waiters: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let failures = 0;
  let stopped = false;

  function scheduleTimer(delayMs: number): void {
    if (stopped || timer !== undefined || immediate !== undefined) return;
    timer = setTimeout(writeStep, delayMs);
    // A queued write must not keep a CLI process alive; servers call close() on shutdown.
    timer.unref();
  }

  function scheduleNow(): void {
    if (stopped) return;
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    immediate ??= setImmediate(writeStep);
  }

  function writeStep(): void {
    timer = undefined;
    immediate = undefined;
    // The completion of the batch in flight schedules the next one.
    if (inFlight > 0) return;
    const waiting = queue.length - head;
    if (waiting === 0) return;
    const n = Math.min(batchSize, waiting);
    const batch = queue.slice(head, head + n);
    inFlight = n;
    options.write(batch).then(
      () => succeeded(n),
      (err: unknown) => failed(err),
    );
  }

  function succeeded(n: number): void {
    inFlight = 0;
    failures = 0;
    // An id stays queued until written: a second record with it was ignored, never queued.
    for (let i = head; i < head + n; i++) queued.delete(ids[i] as string);
    head += n;
    written += n;
    // Written entries go as soon as they outnumber the rest (amortised O(1) per entry): an
    // entry kept past its write lives on into the old generation, where collecting it costs.
    if (head * 2 >= queue.length) {
      queue = queue.slice(head);
      ids = ids.slice(head);
      head = 0;
    }
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (waiter !== undefined && waiter.target <= written) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
    const left = queue.length - head;
    if (left === 0) return;
    if (left >= batchSize || waiters.length > 0) scheduleNow();
    else scheduleTimer(flushMs);
  }

  /** The batch was not written: keep it and retry with backoff. */
  function failed(err: unknown): void {
    inFlight = 0;
    failures++;
    report(err);
    for (const waiter of waiters.splice(0)) waiter.reject(err);
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    scheduleTimer(Math.min(options.maxRetryMs, flushMs * 2 ** failures + 10));
  }

  function report(err: unknown): void {
    try {
      options.report(err);
    } catch {
      // A throwing error handler must not break the retry loop.
    }
  }

  return {
    append(record) {
      const { requestId } = record;
      if (queued.has(requestId)) return;
      const entry = keep(record);
      queued.set(requestId, entry);
      queue.push(entry);
      ids.push(requestId);
      appended++;
      // While a failed batch waits for its retry, the retry timer drives the queue.
      if (failures > 0) return;
      if (queue.length - head >= batchSize) scheduleNow();
      else scheduleTimer(flushMs);
    },
    queued: (requestId) => queued.get(requestId),
    flush() {
      if (appended === written) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ target: appended, resolve, reject });
        scheduleNow();
      });
    },
    get pending() {
      return appended - written;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
      timer = undefined;
      immediate = undefined;
    },
  };
}

/** A deep copy, so a caller mutating its record later cannot change what the ledger holds. */
export function copyRecord(record: LedgerRecord): LedgerRecord {
  const copy: LedgerRecord = { ...record, attempts: record.attempts.map((a) => ({ ...a })) };
  if (record.tags !== undefined) copy.tags = [...record.tags];
  if (record.feedback !== undefined) copy.feedback = { ...record.feedback };
  return copy;
}
