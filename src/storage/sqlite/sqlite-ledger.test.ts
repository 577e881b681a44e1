import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { fullRecord } from '../ledger.contract.js';
import { LEDGER_MIGRATIONS, runMigrations } from './migrations.js';
import { createSqliteLedger } from './sqlite-ledger.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-sqlite-ledger-'));
let files = 0;
const freshPath = () => path.join(dir, `ledger-${files++}.db`);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Rows on disk, read through a second connection as another process would. */
function rowsOnDisk(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('createSqliteLedger — writing off the caller’s stack', () => {
  it('does not write on append; the timer writes within flushMs', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file, flushMs: 20 });
    ledger.append(fullRecord(1));
    expect(rowsOnDisk(file)).toBe(0);
    await sleep(200);
    expect(rowsOnDisk(file)).toBe(1);
    await ledger.close();
  });

  it('writes a full batch without waiting for the timer', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file, batchSize: 10, flushMs: 60_000 });
    for (let i = 0; i < 10; i++) ledger.append(fullRecord(i));
    expect(rowsOnDisk(file)).toBe(0);
    for (let waited = 0; rowsOnDisk(file) < 10 && waited < 5_000; waited += 10) await sleep(10);
    expect(rowsOnDisk(file)).toBe(10);
    await ledger.close();
  });

  it('writes inline too, still never on the caller’s stack', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file, writer: 'inline', batchSize: 10, flushMs: 60_000 });
    for (let i = 0; i < 10; i++) ledger.append(fullRecord(i));
    expect(rowsOnDisk(file)).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(rowsOnDisk(file)).toBe(10);
    await ledger.close();
  });
});

describe('createSqliteLedger — durability', () => {
  it('close() flushes, and the records survive a reopen with their attempts', async () => {
    const file = freshPath();
    const first = createSqliteLedger({ path: file, flushMs: 60_000 });
    for (let i = 0; i < 25; i++) first.append(fullRecord(i));
    await first.close();
    expect(rowsOnDisk(file)).toBe(25);

    const second = createSqliteLedger({ path: file });
    expect(await second.get(fullRecord(7).requestId)).toStrictEqual(fullRecord(7));
    // Idempotent across runs: a replayed record changes nothing, attempts included.
    second.append(fullRecord(7, { costNanos: 1, attempts: [] }));
    await second.flush();
    expect(await second.get(fullRecord(7).requestId)).toStrictEqual(fullRecord(7));
    expect(await second.count()).toBe(25);
    await second.close();
  });

  it('stores feedback in its columns', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file });
    ledger.append(fullRecord(1));
    expect(await ledger.setFeedback(fullRecord(1).requestId, 4, 'close enough')).toBe(true);
    await ledger.close();
    const db = new Database(file, { readonly: true });
    const row = db
      .prepare(
        'SELECT feedback_rating AS rating, feedback_comment AS comment FROM ledger WHERE request_id = ?',
      )
      .get(fullRecord(1).requestId);
    db.close();
    expect(row).toEqual({ rating: 4, comment: 'close enough' });
  });

  it('uses WAL with synchronous=NORMAL', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file });
    await ledger.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});

describe('createSqliteLedger — failed writes', () => {
  it('keeps a batch that failed, tells onError, and writes it once the database is free', async () => {
    const file = freshPath();
    const errors: unknown[] = [];
    const ledger = createSqliteLedger({
      path: file,
      flushMs: 5,
      busyTimeoutMs: 10,
      onError: (err) => errors.push(err),
    });
    // Another connection holds the write lock, as a second process or a long transaction would.
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();

    for (let i = 0; i < 5; i++) ledger.append(fullRecord(i));
    await expect(ledger.flush()).rejects.toThrow(/locked|busy/i);
    expect(errors.length).toBeGreaterThan(0);
    // Still readable from the queue while it waits.
    expect(await ledger.get(fullRecord(3).requestId)).toStrictEqual(fullRecord(3));

    other.prepare('ROLLBACK').run();
    other.close();
    await ledger.flush();
    expect(rowsOnDisk(file)).toBe(5);
    expect(await ledger.count()).toBe(5);
    await ledger.close();
  });

  it('retries on its own, without a flush, once the lock is gone', async () => {
    const file = freshPath();
    let failures = 0;
    const ledger = createSqliteLedger({
      path: file,
      flushMs: 5,
      busyTimeoutMs: 10,
      onError: () => failures++,
    });
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();
    ledger.append(fullRecord(1));
    while (failures === 0) await sleep(5);
    other.prepare('ROLLBACK').run();
    other.close();
    for (let waited = 0; rowsOnDisk(file) === 0 && waited < 2_000; waited += 20) await sleep(20);
    expect(rowsOnDisk(file)).toBe(1);
    await ledger.close();
  });

  it('rejects close() when the queue cannot be written, naming what was lost', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file, busyTimeoutMs: 10, onError: () => {} });
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();
    ledger.append(fullRecord(1));
    await expect(ledger.close()).rejects.toThrow(/1 records/);
    other.prepare('ROLLBACK').run();
    other.close();
  });
});

describe('runMigrations', () => {
  it('applies each version once and records it per component', () => {
    const db = new Database(':memory:');
    expect(runMigrations(db, 'ledger', LEDGER_MIGRATIONS)).toEqual([1]);
    expect(runMigrations(db, 'ledger', LEDGER_MIGRATIONS)).toEqual([]);
    const extra = [{ version: 1, name: 'other store', sql: 'CREATE TABLE counters (k TEXT PRIMARY KEY)' }];
    expect(runMigrations(db, 'counters', extra)).toEqual([1]);
    const rows = db.prepare('SELECT component, version FROM schema_migrations ORDER BY component').all();
    expect(rows).toEqual([
      { component: 'counters', version: 1 },
      { component: 'ledger', version: 1 },
    ]);
    db.close();
  });

  it('rolls back a migration that fails, leaving it to run again', () => {
    const db = new Database(':memory:');
    const broken = [
      { version: 1, name: 'broken', sql: 'CREATE TABLE t (a INTEGER); CREATE TABLE t (b INTEGER);' },
    ];
    expect(() => runMigrations(db, 'x', broken)).toThrow();
    expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('createSqliteLedger — throughput', () => {
  it('writes 10,000 records in batches of 500', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file });
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) ledger.append(fullRecord(i));
    await ledger.flush();
    const seconds = (performance.now() - started) / 1_000;
    expect(rowsOnDisk(file)).toBe(10_000);
    // A loose floor (measured ~100k rows/s on the dev machine); catches a per-row fsync or a
    // transaction per record, not noise.
    expect(10_000 / seconds).toBeGreaterThan(5_000);
    await ledger.close();
  });
});
