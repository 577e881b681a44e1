import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { fullRecord, minimalRecord } from '../ledger.contract.js';
import { ATTEMPT_COLUMNS, LEDGER_COLUMNS } from '../ledger-columns.js';
import type { LedgerRecord } from '../ports.js';
import { attemptRowValues, ledgerRowValues } from './__fixtures__/column-values.js';
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

/** Text of every kind a record may carry: non-ASCII, surrogate pairs, lone surrogates, NUL, long. */
const TEXTS = [
  '',
  'gpt-4o-mini',
  'é',
  'naïve café',
  'emoji 😀',
  'a\u0000b',
  'lone \ud800',
  '\udc00 tail',
  '日本語',
  'x'.repeat(2_000),
];
const NUMBERS = [0, 1, 0.1 + 0.2, 1e-7, 123_456.789, -5, 2 ** 31, Number.MAX_SAFE_INTEGER, 1.5e300];

/** Records with every field varied, present or absent, and some request ids used twice. */
function variedRecords(count: number): LedgerRecord[] {
  let seed = 7;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    // The low bits of this generator repeat every few draws: use the high ones.
    return seed >>> 12;
  };
  const pick = <T>(list: readonly T[]): T => list[next() % list.length] as T;
  const maybe = <T>(value: T): T | undefined => (next() % 3 === 0 ? undefined : value);
  const records: LedgerRecord[] = [];
  for (let i = 0; i < count; i++) {
    // Every 13th reuses an earlier id (the first must win); some ids are not ASCII.
    const requestId =
      i % 13 === 12 ? (records[i - 5] as LedgerRecord).requestId : i % 11 === 0 ? `req-é-${i}` : `req-${i}`;
    const record = minimalRecord(requestId, 1_764_115_200_000 + next());
    Object.assign(record, {
      endpoint: pick(TEXTS),
      strategy: pick(TEXTS),
      status: pick(['ok', 'error', 'cancelled'] as const),
      httpStatus: pick([200, 400, 429, 502]),
      stream: next() % 2 === 0,
      inputTokens: pick(NUMBERS),
      outputTokens: pick(NUMBERS),
      cachedInputTokens: pick(NUMBERS),
      cacheWriteTokens: pick(NUMBERS),
      reasoningTokens: pick(NUMBERS),
      usageEstimated: next() % 2 === 0,
      costNanos: pick(NUMBERS),
      latencyMs: pick(NUMBERS),
      cacheHit: next() % 2 === 0,
    });
    const optional: Partial<LedgerRecord> = {
      keyId: maybe(pick(TEXTS)),
      project: maybe(pick(TEXTS)),
      user: maybe(pick(TEXTS)),
      tags: maybe([pick(TEXTS), pick(TEXTS)]),
      route: maybe(pick(TEXTS)),
      model: maybe(pick(TEXTS)),
      provider: maybe(pick(TEXTS)),
      deployment: maybe(pick(TEXTS)),
      errorCode: maybe(pick(TEXTS)),
      ttftMs: maybe(pick(NUMBERS)),
      confidence: maybe(pick(NUMBERS)),
      routeTrace: maybe(pick(TEXTS)),
      feedback: maybe(
        next() % 2 === 0 ? { rating: pick(NUMBERS) } : { rating: pick(NUMBERS), comment: pick(TEXTS) },
      ),
    };
    for (const [key, value] of Object.entries(optional))
      if (value !== undefined) Object.assign(record, { [key]: value });
    record.attempts = Array.from({ length: next() % 4 }, (_, n) => {
      const attempt = {
        attempt: n + 1,
        model: pick(TEXTS),
        provider: pick(TEXTS),
        deployment: pick(TEXTS),
        status: pick(['ok', 'error', 'cancelled'] as const),
        latencyMs: pick(NUMBERS),
        inputTokens: pick(NUMBERS),
        outputTokens: pick(NUMBERS),
        costNanos: pick(NUMBERS),
      };
      return next() % 2 === 0
        ? attempt
        : { ...attempt, errorCode: pick(TEXTS), httpStatus: pick([500, 503]) };
    });
    records.push(record);
  }
  return records;
}

/**
 * What the tables hold when every record is inserted by itself, its values bound as the shared
 * column mapping gives them (strings as strings), in order: a record whose id is in the table
 * already adds nothing, attempts included.
 */
function writeOneByOne(file: string, batches: readonly (readonly LedgerRecord[])[]): void {
  const db = new Database(file);
  const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const insertLedger = db.prepare(
    `INSERT OR IGNORE INTO ledger (${LEDGER_COLUMNS.join(', ')}) VALUES (${placeholders(LEDGER_COLUMNS.length)})`,
  );
  const insertAttempt = db.prepare(
    `INSERT OR IGNORE INTO ledger_attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${placeholders(ATTEMPT_COLUMNS.length)})`,
  );
  for (const batch of batches)
    for (const record of batch) {
      if (insertLedger.run(...ledgerRowValues(record)).changes === 0) continue;
      for (const values of attemptRowValues(record)) insertAttempt.run(...values);
    }
  db.close();
}

/** Every stored value of both tables with its storage class, text as its bytes, rowids left out. */
function dump(file: string): { ledger: unknown[]; attempts: unknown[] } {
  const db = new Database(file, { readonly: true });
  const select = (table: string, columns: readonly string[], order: string) =>
    db
      .prepare(
        `SELECT ${columns.map((c) => `typeof(${c}), CASE WHEN typeof(${c}) = 'text' THEN hex(${c}) ELSE ${c} END`).join(', ')} FROM ${table} ORDER BY ${order}`,
      )
      .raw()
      .all();
  try {
    return {
      ledger: select('ledger', LEDGER_COLUMNS, 'hex(request_id)'),
      attempts: select('ledger_attempts', ATTEMPT_COLUMNS, 'hex(request_id), attempt'),
    };
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
  it('stores every value as one INSERT per record of the shared mapping does, byte for byte', async () => {
    const records = variedRecords(400);
    // Batches of several sizes, then a replay of records partly written (after a crash).
    const batches = [
      records.slice(0, 75),
      records.slice(75, 76),
      records.slice(76, 330),
      records.slice(300, 400),
    ];
    const file = freshLedger();
    const { writer, close } = open(file);
    for (const batch of batches) await writer.write(batchOf(batch));
    await writer.close();
    close();
    const reference = freshLedger();
    writeOneByOne(reference, batches);
    const stored = dump(file);
    expect(stored.ledger.length).toBeGreaterThan(300);
    expect(stored.attempts.length).toBeGreaterThan(300);
    const expected = dump(reference);
    // Row by row: a difference shows as the one row, not as a diff of the whole table.
    expect(stored.ledger).toHaveLength(expected.ledger.length);
    expect(stored.attempts).toHaveLength(expected.attempts.length);
    for (const [i, row] of stored.ledger.entries())
      expect(row, `ledger row ${i}`).toStrictEqual(expected.ledger[i]);
    for (const [i, row] of stored.attempts.entries())
      expect(row, `attempt row ${i}`).toStrictEqual(expected.attempts[i]);
  });

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
  it('reads a batch’s codes where the queue keeps them, and changes none of them', async () => {
    const file = freshLedger();
    const writer = createWorkerWriter({ path: file, busyTimeoutMs: 1_000, onError: () => {} });
    const batch = batchOf([fullRecord(1), fullRecord(2)]);
    const before = { ledger: [...batch.ledger], attempts: [...batch.attempts] };
    await writer.write(batch);
    await writer.close();
    expect(batch.ledger.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect({ ledger: [...batch.ledger], attempts: [...batch.attempts] }).toEqual(before);
    expect(onDisk(file).size).toBe(2);
  });
});
