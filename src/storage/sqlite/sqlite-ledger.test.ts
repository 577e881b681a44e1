import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { fullRecord } from '../ledger.contract.js';
import { createMemoryLedger } from '../memory/memory-ledger.js';
import type { AttemptRecord } from '../ports.js';
import { PAGE_SIZE } from './database-file.js';
import { LEDGER_MIGRATIONS, runMigrations } from './migrations.js';
import { createSqliteLedger } from './sqlite-ledger.js';
import { planUsageQuery } from './usage-sql.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-sqlite-ledger-'));
let files = 0;
const freshPath = () => path.join(dir, `ledger-${files++}.db`);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function pageSizeOf(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
}

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

describe('createSqliteLedger — one record per request id', () => {
  it('keeps the first of two records with one id, attempts included, when they land in different batches', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file, batchSize: 2, flushMs: 60_000 });
    const later = fullRecord(1, { costNanos: 1, attempts: fullRecord(1).attempts.slice(0, 1) });
    ledger.append(fullRecord(1));
    ledger.append(fullRecord(2));
    // The first batch is full: this one goes into the next batch, not yet written either.
    ledger.append(later);
    expect(await ledger.get(fullRecord(1).requestId)).toStrictEqual(fullRecord(1));
    await ledger.flush();
    ledger.append(later);
    await ledger.flush();
    expect(await ledger.get(fullRecord(1).requestId)).toStrictEqual(fullRecord(1));
    expect(await ledger.count()).toBe(2);
    await ledger.close();
    const db = new Database(file, { readonly: true });
    const attempts = db
      .prepare('SELECT COUNT(*) AS n FROM ledger_attempts WHERE request_id = ?')
      .get(fullRecord(1).requestId);
    db.close();
    expect(attempts).toEqual({ n: 2 });
  });
});

describe('createSqliteLedger — batches built in the arrays of written ones', () => {
  it.each(['worker', 'inline'] as const)(
    'stores every record as appended, %s, across batches that reuse arrays, grow them and fail',
    async (writer) => {
      const file = freshPath();
      const ledger = createSqliteLedger({
        path: file,
        writer,
        batchSize: 7,
        flushMs: 1,
        busyTimeoutMs: 10,
        onError: () => {},
      });
      // Batches of all sizes, some with many attempts (arrays grown past their first size), and
      // one that fails while another connection holds the lock (kept, retried, never reused).
      const manyAttempts = (i: number): AttemptRecord[] =>
        Array.from({ length: 12 }, (_, n) => ({
          ...(fullRecord(i).attempts[0] as AttemptRecord),
          attempt: n + 1,
        }));
      const records = Array.from({ length: 120 }, (_, i) =>
        fullRecord(i, i % 9 === 0 ? { attempts: manyAttempts(i) } : {}),
      );
      for (const record of records.slice(0, 50)) ledger.append(record);
      await ledger.flush();
      const other = new Database(file);
      other.prepare('BEGIN IMMEDIATE').run();
      for (const record of records.slice(50, 60)) ledger.append(record);
      await expect(ledger.flush()).rejects.toThrow(/locked|busy/i);
      other.prepare('ROLLBACK').run();
      other.close();
      for (const record of records.slice(60)) ledger.append(record);
      await ledger.flush();
      for (const record of records) expect(await ledger.get(record.requestId)).toStrictEqual(record);
      expect(await ledger.count()).toBe(records.length);
      await ledger.close();
    },
  );
});

describe('createSqliteLedger — the database file', () => {
  it('keeps the WAL bounded through a long burst, checkpointing into the file as it goes', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file, batchSize: 200 });
    let largestWal = 0;
    for (let at = 0; at < 30_000; at += 200) {
      for (let i = at; i < at + 200; i++) ledger.append(fullRecord(i));
      await ledger.flush();
      largestWal = Math.max(largestWal, fs.statSync(`${file}-wal`).size);
    }
    const fileBeforeClose = fs.statSync(file).size;
    await ledger.close();
    // Never checkpointed, the burst would leave a WAL of tens of MB. SQLite checkpoints once the
    // WAL holds 1,000 pages: the WAL never grows past that and one batch's pages.
    expect(largestWal).toBeLessThan(1_200 * (PAGE_SIZE + 24));
    expect(fileBeforeClose).toBeGreaterThan(fs.statSync(file).size * 0.75);
    expect(rowsOnDisk(file)).toBe(30_000);
  });

  it('writes and reads a file created with 4 KiB pages as before, and leaves its pages as they are', async () => {
    const file = freshPath();
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    runMigrations(old, 'ledger', LEDGER_MIGRATIONS);
    old.close();
    const ledger = createSqliteLedger({ path: file });
    for (let i = 0; i < 300; i++) ledger.append(fullRecord(i));
    await ledger.flush();
    expect(await ledger.get(fullRecord(299).requestId)).toStrictEqual(fullRecord(299));
    await ledger.close();
    expect(pageSizeOf(file)).toBe(4_096);
    expect(rowsOnDisk(file)).toBe(300);
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
    expect(runMigrations(db, 'ledger', LEDGER_MIGRATIONS)).toEqual([1, 2]);
    expect(runMigrations(db, 'ledger', LEDGER_MIGRATIONS)).toEqual([]);
    const extra = [{ version: 1, name: 'other store', sql: 'CREATE TABLE counters (k TEXT PRIMARY KEY)' }];
    expect(runMigrations(db, 'counters', extra)).toEqual([1]);
    const rows = db
      .prepare('SELECT component, version FROM schema_migrations ORDER BY component, version')
      .all();
    expect(rows).toEqual([
      { component: 'counters', version: 1 },
      { component: 'ledger', version: 1 },
      { component: 'ledger', version: 2 },
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

/** Asserts that the usage reports and export pages on `file` run on its covering indexes. */
function expectReportPlans(file: string): void {
  const db = new Database(file, { readonly: true });
  try {
    const indexes = new Set(
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger'")
        .all()
        .map((row) => (row as { name: string }).name),
    );
    for (const name of ['ledger_report', 'ledger_model_report', 'ledger_key_report', 'ledger_project_report'])
      expect(indexes).toContain(name);
    for (const name of ['ledger_timestamp', 'ledger_model_timestamp', 'ledger_key_timestamp'])
      expect(indexes).not.toContain(name);
    const plan = (sql: string, ...params: unknown[]) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((row) => (row as { detail: string }).detail)
        .join('; ');
    const span = { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 1, 1) };
    const month = { since: span.from, until: span.to };
    const planOf = (query: Parameters<typeof planUsageQuery>[0]) => {
      const chosen = planUsageQuery(query, span, indexes);
      if (chosen === undefined) throw new Error('no plan');
      return {
        kind: chosen.kind,
        runs: chosen.paramSets.length,
        plan: plan(chosen.sql, ...(chosen.paramSets[0] ?? [])),
      };
    };

    // Per-day totals: one range query per day on the covering index, nothing to sort.
    const byDay = planOf({ ...month, period: 'day' });
    expect(byDay).toMatchObject({ kind: 'period-loop', runs: 31 });
    expect(byDay.plan).toBe('SEARCH ledger USING COVERING INDEX ledger_report (timestamp>? AND timestamp<?)');
    // By model or key over the month: that dimension's index, already grouped, nothing to sort.
    for (const [by, index] of [
      ['model', 'ledger_model_report'],
      ['key', 'ledger_key_report'],
    ] as const) {
      const chosen = planOf({ ...month, by: [by] });
      expect(chosen.kind).toBe('dimension-index');
      expect(chosen.plan).toContain(`USING COVERING INDEX ${index}`);
      expect(chosen.plan).not.toContain('TEMP B-TREE');
    }
    // A day out of the month: the range, then a sort of its few rows.
    const oneDay = planOf({ since: span.from, until: span.from + 86_400_000, by: ['model'] });
    expect(oneDay.kind).toBe('grouped');
    expect(oneDay.plan).toMatch(
      /^SEARCH ledger USING COVERING INDEX ledger_report \(timestamp>\? AND timestamp<\?\)/,
    );
    // Months by project: grouped in one statement, still on the covering index.
    const months = planOf({ ...month, period: 'month', by: ['project'] });
    expect(months.kind).toBe('grouped');
    expect(months.plan).toContain('USING COVERING INDEX ledger_report (timestamp>? AND timestamp<?)');
    // An export page seeks to its keyset position and reads in index order, without sorting.
    const page = plan(
      'SELECT * FROM ledger WHERE (timestamp, request_id) > (?, ?) ORDER BY timestamp, request_id LIMIT ?',
      0,
      '',
      10,
    );
    expect(page).toMatch(/USING INDEX ledger_report/);
    expect(page).not.toMatch(/TEMP B-TREE/);
  } finally {
    db.close();
  }
}

describe('createSqliteLedger — reports', () => {
  it('upgrades a version-1 database in place, records kept, and plans reports onto its indexes', async () => {
    const file = freshPath();
    const old = new Database(file);
    runMigrations(old, 'ledger', LEDGER_MIGRATIONS.slice(0, 1));
    old.close();
    const first = createSqliteLedger({ path: file, writer: 'inline' });
    for (let i = 0; i < 20; i++) first.append(fullRecord(i));
    await first.close();
    expect(rowsOnDisk(file)).toBe(20);
    expectReportPlans(file);
  });

  it('plans reports onto the same indexes in a file it creates, with its larger pages', async () => {
    const file = freshPath();
    const ledger = createSqliteLedger({ path: file });
    for (let i = 0; i < 20; i++) ledger.append(fullRecord(i));
    await ledger.close();
    expect(pageSizeOf(file)).toBe(PAGE_SIZE);
    expectReportPlans(file);
  });

  it('reports the same from every plan', async () => {
    const ledger = createSqliteLedger({ path: freshPath() });
    for (let i = 0; i < 300; i++)
      ledger.append(fullRecord(i, { timestamp: Date.UTC(2026, 0, 1) + i * 3_600_000 }));
    const memory = createMemoryLedger();
    for (let i = 0; i < 300; i++)
      memory.append(fullRecord(i, { timestamp: Date.UTC(2026, 0, 1) + i * 3_600_000 }));
    const queries = [
      { period: 'day' as const, p95: true },
      { period: 'week' as const, since: Date.UTC(2026, 0, 3, 5) },
      { by: ['key' as const], p95: true },
      { by: ['key' as const], since: Date.UTC(2026, 0, 12), until: Date.UTC(2026, 0, 12, 6) },
      { period: 'month' as const, by: ['model' as const] },
    ];
    for (const query of queries)
      expect(await ledger.aggregate?.(query)).toStrictEqual(await memory.aggregate?.(query));
    await ledger.close();
  });

  it('opens read-only: reads, aggregates and scans, refuses writes, and never migrates', async () => {
    const file = freshPath();
    const writer = createSqliteLedger({ path: file });
    for (let i = 0; i < 5; i++) writer.append(fullRecord(i));
    await writer.close();

    const reader = createSqliteLedger({ path: file, readonly: true });
    expect(await reader.count()).toBe(5);
    expect(await reader.get(fullRecord(3).requestId)).toStrictEqual(fullRecord(3));
    const [all] = (await reader.aggregate?.({})) ?? [];
    expect(all?.costNanos).toBe([0, 1, 2, 3, 4].reduce((sum, i) => sum + fullRecord(i).costNanos, 0));
    const scanned: string[] = [];
    for await (const record of reader.scan?.({}) ?? []) scanned.push(record.requestId);
    expect(scanned).toEqual([0, 1, 2, 3, 4].map((i) => fullRecord(i).requestId));
    expect(() => reader.append(fullRecord(9))).toThrow(/read-only/);
    await expect(reader.setFeedback(fullRecord(1).requestId, 5)).rejects.toThrow(/read-only/);
    await reader.close();

    expect(() => createSqliteLedger({ path: freshPath(), readonly: true })).toThrow();
    const empty = freshPath();
    new Database(empty).close();
    expect(() => createSqliteLedger({ path: empty, readonly: true })).toThrow(/no ledger/);
  });
});
