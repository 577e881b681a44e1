/**
 * @module storage/write-behind
 * The write-behind queue every durable ledger uses: `append` only queues (never touches I/O on
 * the caller's stack); batches go to the backend's `write` on a timer or as soon as a batch is
 * full; a failed batch stays queued and is retried with backoff, never dropped; `flush()`
 * resolves once everything appended before the call has been written. The queue is a list of
 * batches, each built up as records are appended until it is full or its write starts, in the
 * backend's own form (a `BatchBuilder`): SQLite encodes a record straight into the batch it will
 * insert, so no object per record is held until the write. `createWriteBehind` is the plain form,
 * a batch of kept copies of the records, with a record whose id is already queued ignored.
 */

import type { LedgerRecord } from './ports.js';

export interface WriteBehind<Queued = LedgerRecord> {
  /** Queues a copy of the record. */
  append(record: LedgerRecord): void;
  /** The queued (not yet written) record with this id, as kept. */
  queued(requestId: string): Queued | undefined;
  flush(): Promise<void>;
  /** Records appended but not yet written. */
  readonly pending: number;
  /** Stops timers and retries (on close, after the final flush). */
  stop(): void;
}

/** How a backend holds the records of one batch, from the first appended to its write. */
export interface BatchBuilder<Batch, Queued> {
  /** An empty batch. */
  create(): Batch;
  /** Adds the record, sharing nothing the caller can change later. */
  add(batch: Batch, record: LedgerRecord): void;
  /** The first record with this id in the batch, as kept; undefined if none. */
  find(batch: Batch, requestId: string): Queued | undefined;
  /** Told when a batch is written and out of the queue: what it holds may serve another. */
  release?(batch: Batch): void;
}

interface QueueOptions {
  batchSize: number;
  flushMs: number;
  /** Longest wait between retries of a failed batch. */
  maxRetryMs: number;
  report(error: unknown): void;
}

export interface BatchWriteBehindOptions<Batch, Queued> extends QueueOptions {
  builder: BatchBuilder<Batch, Queued>;
  /** Writes one batch durably; rejects to have it retried. */
  write(batch: Batch): Promise<void>;
}

export interface WriteBehindOptions<Entry> extends QueueOptions {
  /**
   * What the queue keeps of an appended record, sharing nothing the caller can change later;
   * `copyRecord` when absent.
   */
  keep?: (record: LedgerRecord) => Entry;
  /** Writes one batch durably; rejects to have it retried. */
  write(batch: readonly Entry[]): Promise<void>;
}

interface Waiter {
  /** Resolve once this many records in total have been written. */
  target: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface QueuedBatch<Batch> {
  batch: Batch;
  records: number;
  /** Its write has started (and may have failed): nothing more goes into it. */
  sealed: boolean;
}

/**
 * The queue over batches a backend builds. Every appended record is queued, even one whose id is
 * already queued: a backend that writes idempotently on request id ignores it there, and `queued`
 * finds the first.
 */
export function createBatchWriteBehind<Batch, Queued>(
  options: BatchWriteBehindOptions<Batch, Queued>,
): WriteBehind<Queued> {
  const { builder, batchSize, flushMs } = options;
  // Oldest first. Only the first is ever being written; records go into the last unless it is
  // full or sealed.
  const queue: QueuedBatch<Batch>[] = [];
  let inFlight = false;
  let appended = 0;
  let written = 0;
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
    if (inFlight) return;
    const next = queue[0];
    if (next === undefined) return;
    next.sealed = true;
    inFlight = true;
    options.write(next.batch).then(
      () => succeeded(next),
      (err: unknown) => failed(err),
    );
  }

  function succeeded(done: QueuedBatch<Batch>): void {
    inFlight = false;
    failures = 0;
    queue.shift();
    builder.release?.(done.batch);
    written += done.records;
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (waiter !== undefined && waiter.target <= written) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
    const next = queue[0];
    if (next === undefined) return;
    // A batch is only followed by another once it is full.
    if (next.records >= batchSize || waiters.length > 0) scheduleNow();
    else scheduleTimer(flushMs);
  }

  /** The batch was not written: keep it and retry with backoff. */
  function failed(err: unknown): void {
    inFlight = false;
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
      let last = queue[queue.length - 1];
      if (last === undefined || last.sealed || last.records >= batchSize) {
        // Queued only once it holds the record: a record `add` refuses leaves no empty batch.
        const batch = builder.create();
        builder.add(batch, record);
        last = { batch, records: 1, sealed: false };
        queue.push(last);
      } else {
        builder.add(last.batch, record);
        last.records++;
      }
      appended++;
      // While a failed batch waits for its retry, the retry timer drives the queue.
      if (failures > 0) return;
      if (last.records >= batchSize) scheduleNow();
      else scheduleTimer(flushMs);
    },
    queued(requestId) {
      for (const { batch } of queue) {
        const found = builder.find(batch, requestId);
        if (found !== undefined) return found;
      }
      return undefined;
    },
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

interface KeptBatch<Entry> {
  entries: Entry[];
  ids: string[];
}

/**
 * The queue of kept copies: a record whose id is already queued is ignored, so a batch never
 * holds one request id twice.
 */
export function createWriteBehind(options: WriteBehindOptions<LedgerRecord>): WriteBehind<LedgerRecord>;
export function createWriteBehind<Entry>(
  options: WriteBehindOptions<Entry> & { keep: (record: LedgerRecord) => Entry },
): WriteBehind<Entry>;
export function createWriteBehind<Entry>(options: WriteBehindOptions<Entry>): WriteBehind<Entry> {
  // Only the first overload leaves `keep` out, and there Entry is LedgerRecord.
  const keep = options.keep ?? (copyRecord as unknown as (record: LedgerRecord) => Entry);
  // Ids stay here until written: a second record with one is ignored, never queued.
  const ids = new Set<string>();
  const batches = createBatchWriteBehind<KeptBatch<Entry>, Entry>({
    batchSize: options.batchSize,
    flushMs: options.flushMs,
    maxRetryMs: options.maxRetryMs,
    report: options.report,
    builder: {
      create: () => ({ entries: [], ids: [] }),
      add(batch, record) {
        batch.entries.push(keep(record));
        batch.ids.push(record.requestId);
        ids.add(record.requestId);
      },
      find: (batch, requestId) => batch.entries[batch.ids.indexOf(requestId)],
    },
    async write(batch) {
      await options.write(batch.entries);
      for (const id of batch.ids) ids.delete(id);
    },
  });
  return {
    append(record) {
      if (!ids.has(record.requestId)) batches.append(record);
    },
    queued: (requestId) => (ids.has(requestId) ? batches.queued(requestId) : undefined),
    flush: () => batches.flush(),
    get pending() {
      return batches.pending;
    },
    stop: () => batches.stop(),
  };
}

/** A deep copy, so a caller mutating its record later cannot change what the ledger holds. */
export function copyRecord(record: LedgerRecord): LedgerRecord {
  const copy: LedgerRecord = { ...record, attempts: record.attempts.map((a) => ({ ...a })) };
  if (record.tags !== undefined) copy.tags = [...record.tags];
  if (record.feedback !== undefined) copy.feedback = { ...record.feedback };
  return copy;
}
