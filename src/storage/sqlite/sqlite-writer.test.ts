import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { fullRecord } from '../ledger.contract.js';
import type { LedgerRecord } from '../ports.js';
import { addRecord, createPendingRows, type RowBatch, toRowBatch } from './ledger-rows.js';
import { LEDGER_MIGRATIONS, runMigrations } from './migrations.js';
import { createInlineWriter, createWorkerWriter, type SqliteWriter } from './sqlite-writer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-sqlite-writer-'));
let files = 0;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function freshLedger(): string {
  const file = path.join(dir, `ledger-${files++}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  runMigrations(db, 'ledger', LEDGER_MIGRATIONS);
  db.close();
  return file;
}

function batchOf(records: readonly LedgerRecord[]): RowBatch {
  const rows = createPendingRows(1);
  for (const record of records) addRecord(rows, record);
  return toRowBatch(rows);
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Each request id's cost and attempt count on disk, read through a connection of its own. */
function onDisk(file: string): Map<string, { cost: number; attempts: number }> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare<[], { id: string; cost: number; attempts: number }>(
        `SELECT l.request_id AS id, l.cost_nanos AS cost,
                (SELECT COUNT(*) FROM ledger_attempts a WHERE a.request_id = l.request_id) AS attempts
         FROM ledger l`,
      )
      .all();
    return new Map(rows.map((row) => [row.id, { cost: row.cost, attempts: row.attempts }]));
  } finally {
    db.close();
  }
}

const writers: [string, (file: string) => { writer: SqliteWriter; close: () => void }][] = [
  [
    'inline',
    (file) => {
      const db = new Database(file);
      return { writer: createInlineWriter(db), close: () => db.close() };
    },
  ],
  [
    'worker',
    (file) => {
      const writer = createWorkerWriter({ path: file, busyTimeoutMs: 1_000, onError: () => {} });
      return { writer, close: () => {} };
    },
  ],
];

describe.each(writers)('%s writer', (_name, open) => {
  it('writes every row of a batch whose size is no multiple of the statement sizes', async () => {
    const file = freshLedger();
    const { writer, close } = open(file);
    // 75 = 32 + 32 + 8 + 2 + 1 rows: every statement size but 16 and 4.
    await writer.write(batchOf(range(0, 75).map((i) => fullRecord(i))));
    await writer.close();
    close();
    const rows = onDisk(file);
    expect(rows.size).toBe(75);
    for (const i of range(0, 75))
      expect(rows.get(fullRecord(i).requestId)).toEqual({ cost: fullRecord(i).costNanos, attempts: 2 });
  });

  it('adds nothing to a record already written, attempts included, when a batch is written again', async () => {
    const file = freshLedger();
    const { writer, close } = open(file);
    await writer.write(batchOf(range(0, 40).map((i) => fullRecord(i))));
    // The replay differs from what was written, to show that none of it lands: a third attempt
    // and another cost for 0–39. Its first 32 rows are all known, the next 32 partly (32–39).
    const changed = (i: number): LedgerRecord => {
      const record = fullRecord(i, { costNanos: 1 });
      const last = record.attempts[1];
      if (last !== undefined) record.attempts.push({ ...last, attempt: 3 });
      return record;
    };
    await writer.write(batchOf(range(0, 100).map((i) => (i < 40 ? changed(i) : fullRecord(i)))));
    await writer.close();
    close();
    const rows = onDisk(file);
    expect(rows.size).toBe(100);
    for (const i of range(0, 100))
      expect(rows.get(fullRecord(i).requestId)).toEqual({ cost: fullRecord(i).costNanos, attempts: 2 });
  });

  it('keeps the first of two records with one id in a batch, and only its attempts', async () => {
    const file = freshLedger();
    const { writer, close } = open(file);
    const first = fullRecord(5, { attempts: fullRecord(5).attempts.slice(0, 1) });
    const second = fullRecord(5, { costNanos: 1 });
    const third = fullRecord(5, { costNanos: 2 });
    // Five rows: the first and second share the statement of four, the third has one of its own.
    await writer.write(batchOf([fullRecord(1), fullRecord(2), first, second, third]));
    await writer.close();
    close();
    const rows = onDisk(file);
    expect(rows.get(fullRecord(5).requestId)).toEqual({ cost: fullRecord(5).costNanos, attempts: 1 });
    expect(rows.size).toBe(3);
  });

  it('reads each batch through its own string table: nothing carries over from one batch to the next', async () => {
    const file = freshLedger();
    const { writer, close } = open(file);
    // The same codes name other strings in the second batch: other ids, another model.
    await writer.write(batchOf([fullRecord(1)]));
    await writer.write(batchOf([fullRecord(2, { model: 'other-model', endpoint: '/v1/embeddings' })]));
    await writer.close();
    close();
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT request_id, model, endpoint FROM ledger ORDER BY request_id').all();
    db.close();
    expect(rows).toEqual([
      { request_id: fullRecord(1).requestId, model: fullRecord(1).model, endpoint: '/v1/chat/completions' },
      { request_id: fullRecord(2).requestId, model: 'other-model', endpoint: '/v1/embeddings' },
    ]);
  });
});

describe('worker writer', () => {
  it('moves a batch’s codes to its thread rather than copying them', async () => {
    const file = freshLedger();
    const writer = createWorkerWriter({ path: file, busyTimeoutMs: 1_000, onError: () => {} });
    const batch = batchOf([fullRecord(1), fullRecord(2)]);
    await writer.write(batch);
    await writer.close();
    expect(batch.ledger.byteLength).toBe(0);
    expect(batch.attempts.byteLength).toBe(0);
    expect(onDisk(file).size).toBe(2);
  });
});
