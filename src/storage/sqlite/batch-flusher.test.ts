import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BUSY_TRIES, createBatchFlusher } from './batch-flusher.js';
import { useWal } from './database-file.js';

/**
 * A flusher over a list of pending numbers, writing into `written` unless `failing` is set — or,
 * given `sqlite`, through that connection with its `write`.
 */
function rig(flushMs = 5, sqlite?: { db: Database.Database; write(batch: number[]): void }) {
  let pending: number[] = [];
  const written: number[][] = [];
  const errors: unknown[] = [];
  const state = { failing: false };
  const flusher = createBatchFlusher<number[]>({
    flushMs,
    ...(sqlite === undefined ? {} : { db: sqlite.db }),
    take() {
      if (pending.length === 0) return undefined;
      const batch = pending;
      pending = [];
      return batch;
    },
    write(batch) {
      if (sqlite !== undefined) return sqlite.write(batch);
      if (state.failing) throw new Error('disk full');
      written.push(batch);
    },
    restore(batch) {
      pending = [...batch, ...pending];
    },
    onError: (error) => errors.push(error),
  });
  const change = (n: number) => {
    pending.push(n);
    flusher.schedule();
  };
  return { flusher, change, written, errors, state, pending: () => pending };
}

describe('createBatchFlusher', () => {
  it('writes nothing on the caller’s stack, then every change of the interval in one batch', async () => {
    const { change, written } = rig();
    change(1);
    change(2);
    change(3);
    expect(written).toEqual([]);
    await sleep(30);
    expect(written).toEqual([[1, 2, 3]]);
  });

  it('puts a failed batch back under newer changes, reports it, and writes both with the next batch', async () => {
    const { change, written, errors, state, pending } = rig();
    state.failing = true;
    change(1);
    await sleep(20);
    expect(written).toEqual([]);
    expect(errors.map(String)).toContain('Error: disk full');
    change(2);
    expect(pending()).toEqual([1, 2]);
    state.failing = false;
    await sleep(30);
    expect(written).toEqual([[1, 2]]);
  });

  it('close writes what is pending at once and leaves no timer behind, even when that write fails', async () => {
    const ok = rig(60_000);
    ok.change(7);
    ok.flusher.close();
    expect(ok.written).toEqual([[7]]);

    const failing = rig(5);
    failing.state.failing = true;
    failing.change(8);
    failing.flusher.close();
    const errors = failing.errors.length;
    expect(errors).toBe(1);
    await sleep(30);
    // No retry ran after close.
    expect(failing.errors.length).toBe(errors);
    expect(failing.pending()).toEqual([8]);
  });
});

describe('a flush that finds the file locked by another connection', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-flusher-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let files = 0;

  /** A flusher writing numbers into a table through `db`, and another connection to lock it with. */
  function lockedRig(busyTimeoutMs: number) {
    const file = path.join(dir, `f-${files++}.db`);
    const db = new Database(file, { timeout: busyTimeoutMs });
    useWal(db);
    db.exec('CREATE TABLE t (n INTEGER)');
    const other = new Database(file);
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const write = db.transaction((batch: number[]) => {
      for (const n of batch) insert.run(n);
    });
    const { flusher, change, errors } = rig(1, { db, write: (batch) => write.immediate(batch) });
    const rows = () => (other.prepare('SELECT n FROM t ORDER BY n').all() as { n: number }[]).map((r) => r.n);
    return {
      db,
      other,
      errors,
      rows,
      change,
      close() {
        flusher.close();
        other.close();
        db.close();
      },
    };
  }

  it('never blocks the event loop: it retries every few ms, silently, and writes once the lock is free', async () => {
    // A busy timeout of 5 s: a flush that waited would freeze this thread for all of it.
    const r = lockedRig(5_000);
    r.other.exec('BEGIN IMMEDIATE');
    r.change(1);
    r.change(2);
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 1);
    await sleep(30);
    r.other.exec('COMMIT');
    await sleep(30);
    clearInterval(ticker);
    expect(longestGap).toBeLessThan(20);
    expect(r.rows()).toEqual([1, 2]);
    expect(r.errors).toEqual([]);
    // The connection's own busy timeout is as it was.
    expect(r.db.pragma('busy_timeout', { simple: true })).toBe(5_000);
    r.close();
  });

  it(`after ${BUSY_TRIES} tries it waits as the connection is set to, and reports a lock that outlasted that`, async () => {
    const r = lockedRig(30);
    r.other.exec('BEGIN IMMEDIATE');
    r.change(3);
    // BUSY_TRIES silent tries of BUSY_RETRY_MS, then one that waits 30 ms and fails: reported.
    await expect.poll(() => r.errors.length, { timeout: 2_000, interval: 5 }).toBe(1);
    expect((r.errors[0] as { code?: string }).code).toBe('SQLITE_BUSY');
    r.other.exec('COMMIT');
    await expect.poll(() => r.rows(), { timeout: 2_000, interval: 5 }).toEqual([3]);
    expect(r.errors).toHaveLength(1);
    r.close();
  });

  it('close waits for the lock (as long as the connection allows) and writes what is pending', () => {
    const r = lockedRig(2_000);
    r.change(4);
    r.close();
    const check = new Database(path.join(dir, `f-${files - 1}.db`));
    expect(check.prepare('SELECT n FROM t').all()).toEqual([{ n: 4 }]);
    check.close();
  });
});
