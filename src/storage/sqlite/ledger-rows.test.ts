import { describe, expect, it } from 'vitest';
import { fullRecord, minimalRecord, usageRecords } from '../ledger.contract.js';
import { ATTEMPT_COLUMNS, LEDGER_COLUMNS } from '../ledger-columns.js';
import type { LedgerRecord } from '../ports.js';
import { attemptRowValues, ledgerRowValues } from './__fixtures__/column-values.js';
import {
  ATTEMPT_TEXT_COLUMNS,
  ATTEMPT_WIDTH,
  addRecord,
  createPendingRows,
  decodeRow,
  findRecord,
  LEDGER_TEXT_COLUMNS,
  LEDGER_WIDTH,
  MULTI_ROW_INSERTS,
  type PendingRows,
  type RowBatch,
  type SqlValue,
  toRowBatch,
} from './ledger-rows.js';

const records: LedgerRecord[] = [
  fullRecord(1),
  fullRecord(2, { usageEstimated: true, cacheHit: true, feedback: { rating: 4, comment: 'ok' } }),
  minimalRecord('req-min', Date.UTC(2026, 0, 1)),
  ...usageRecords(),
];

/** The SQLite values of a record's ledger row and of its attempt rows, through the shared mapping. */
function columnValues(r: LedgerRecord): { ledger: unknown[]; attempts: unknown[] } {
  return { ledger: ledgerRowValues(r), attempts: attemptRowValues(r).flat() };
}

function pendingOf(list: readonly LedgerRecord[], capacity = 4): PendingRows {
  const rows = createPendingRows(capacity);
  for (const record of list) addRecord(rows, record);
  return rows;
}

/** Every value of a batch, decoded as the writer binds them (strings as strings). */
function decoded(batch: RowBatch): { ledger: SqlValue[]; attempts: SqlValue[] } {
  const ledger = new Array<SqlValue>(batch.records * LEDGER_WIDTH).fill(null);
  const attempts = new Array<SqlValue>(batch.attemptRows * ATTEMPT_WIDTH).fill(null);
  for (let record = 0; record < batch.records; record++) {
    const at = record * LEDGER_WIDTH;
    ledger[at] = batch.ids[batch.ledger[at] as number] as string;
    decodeRow(batch.ledger, at, LEDGER_TEXT_COLUMNS, batch.strings, ledger, at);
  }
  for (let row = 0; row < batch.attemptRows; row++) {
    const at = row * ATTEMPT_WIDTH;
    attempts[at] = batch.ids[batch.attempts[at] as number] as string;
    decodeRow(batch.attempts, at, ATTEMPT_TEXT_COLUMNS, batch.strings, attempts, at);
  }
  return { ledger, attempts };
}

describe('addRecord and decodeRow', () => {
  it('encode the values of the shared column mapping, column for column, every row in record order', () => {
    const batch = toRowBatch(pendingOf(records));
    expect(decoded(batch)).toStrictEqual({
      ledger: records.flatMap((r) => columnValues(r).ledger),
      attempts: records.flatMap((r) => columnValues(r).attempts),
    });
    expect(batch.records).toBe(records.length);
    expect(batch.attemptRows).toBe(records.reduce((sum, r) => sum + r.attempts.length, 0));
  });

  it('put the request id first in both tables, where the writer puts it', () => {
    // decodeRow leaves column 0 to its caller, which fills in the record's request id.
    expect(LEDGER_COLUMNS[0]).toBe('request_id');
    expect(ATTEMPT_COLUMNS[0]).toBe('request_id');
  });

  it('keep request ids of any text apart, in record order', () => {
    const odd = ['', 'é', 'req-😀', 'a\u0000b', '\ud800', 'x'.repeat(300), 'req-00001'];
    const list = odd.map((requestId, i) => fullRecord(i, { requestId }));
    const batch = toRowBatch(pendingOf(list));
    expect(batch.ids).toStrictEqual(odd);
    expect(decoded(batch).ledger.filter((_, i) => i % LEDGER_WIDTH === 0)).toStrictEqual(odd);
    expect(decoded(batch).attempts.filter((_, i) => i % ATTEMPT_WIDTH === 0)).toStrictEqual(
      list.flatMap((r) => r.attempts.map(() => r.requestId)),
    );
  });

  it('encode a field that changes, comes back, or repeats as an equal but distinct string', () => {
    // Each text field remembers its last string: a value that alternates, returns after another,
    // or is rebuilt with the same text (a route trace) must still decode to its own text.
    const trace = (n: number) => ['cheapest', String(n)].join(': ');
    const list = [
      fullRecord(10, { model: 'a', routeTrace: trace(1) }),
      fullRecord(11, { model: 'b', routeTrace: trace(1) }),
      fullRecord(12, { model: 'a', routeTrace: trace(2), keyId: undefined }),
      fullRecord(13, { model: 'a', routeTrace: trace(1) }),
    ];
    expect(decoded(toRowBatch(pendingOf(list, 1))).ledger).toStrictEqual(
      list.flatMap((r) => columnValues(r).ledger),
    );
  });

  it('keep numbers exactly, and NULL apart from zero and from the empty string', () => {
    const record = fullRecord(3, {
      timestamp: 1_764_115_200_123,
      latencyMs: 0.1 + 0.2,
      costNanos: Number.MAX_SAFE_INTEGER,
      inputTokens: 0,
      confidence: 0,
      ttftMs: undefined,
      errorCode: '',
      project: undefined,
    });
    const values = decoded(toRowBatch(pendingOf([record]))).ledger;
    const column = (name: (typeof LEDGER_COLUMNS)[number]) => values[LEDGER_COLUMNS.indexOf(name)];
    expect(column('timestamp')).toBe(1_764_115_200_123);
    expect(column('latency_ms')).toBe(0.1 + 0.2);
    expect(column('cost_nanos')).toBe(Number.MAX_SAFE_INTEGER);
    expect(column('input_tokens')).toBe(0);
    expect(column('confidence')).toBe(0);
    expect(column('ttft_ms')).toBeNull();
    expect(column('error_code')).toBe('');
    expect(column('project')).toBeNull();
  });

  it('hold a string repeated within a batch once, and the request ids apart from them', () => {
    const batch = toRowBatch(pendingOf(Array.from({ length: 50 }, (_, i) => fullRecord(i))));
    expect(batch.strings[0]).toBeNull();
    for (const text of ['/v1/chat/completions', 'gpt-4o-mini', 'openai', 'primary', 'alpha', 'key-1'])
      expect(batch.strings.filter((s) => s === text)).toHaveLength(1);
    for (let i = 0; i < 50; i++) expect(batch.strings).not.toContain(fullRecord(i).requestId);
    // 50 distinct tag lists, and a few dozen strings shared by all.
    expect(batch.strings.length).toBeLessThan(50 + 30);
  });

  it('grow a batch past the capacity it was made with', () => {
    const many = Array.from({ length: 300 }, (_, i) => fullRecord(i));
    const batch = toRowBatch(pendingOf(many, 1));
    expect(batch.ledger.length).toBeGreaterThanOrEqual(300 * LEDGER_WIDTH);
    expect(batch.attempts.length).toBeGreaterThanOrEqual(300 * 2 * ATTEMPT_WIDTH);
    expect(decoded(batch)).toStrictEqual({
      ledger: many.flatMap((r) => columnValues(r).ledger),
      attempts: many.flatMap((r) => columnValues(r).attempts),
    });
  });
});

describe('findRecord', () => {
  it('decodes a queued record to the record appended', () => {
    const rows = pendingOf(records);
    for (const record of records) expect(findRecord(rows, record.requestId)).toStrictEqual(record);
    expect(findRecord(rows, 'unknown')).toBeUndefined();
  });

  it('answers the first of two records with one id', () => {
    const rows = pendingOf([fullRecord(1), fullRecord(2), fullRecord(1, { costNanos: 1, attempts: [] })]);
    expect(findRecord(rows, fullRecord(1).requestId)).toStrictEqual(fullRecord(1));
  });

  it('shares nothing the caller can change', () => {
    const record = fullRecord(3);
    const rows = pendingOf([record]);
    record.tags?.push('later');
    record.costNanos = 1;
    const first = record.attempts[0];
    if (first !== undefined) first.model = 'later';
    expect(findRecord(rows, record.requestId)).toStrictEqual(fullRecord(3));
  });
});

describe('toRowBatch and createPendingRows', () => {
  it('hand the writer the queue’s own codes, in memory a worker thread shares', () => {
    const rows = pendingOf([fullRecord(1), fullRecord(2)], 64);
    const batch = toRowBatch(rows);
    expect(batch.ledger).toBe(rows.ledger);
    expect(batch.attempts).toBe(rows.attempts);
    expect(batch.ledger.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(batch.attempts.buffer).toBeInstanceOf(SharedArrayBuffer);
    // What a worker writer does with it: post it. The codes are shared, not moved or copied.
    const posted = structuredClone(batch);
    expect(decoded(posted)).toStrictEqual(decoded(batch));
    rows.ledger[1] = 42;
    expect(posted.ledger[1]).toBe(42);
    // A retry builds the same batch again from the queue's copy.
    expect(findRecord(rows, fullRecord(2).requestId)).toStrictEqual(fullRecord(2));
  });

  it('build a batch in the arrays of one written before, whatever they held', () => {
    const first = pendingOf(
      Array.from({ length: 120 }, (_, i) => fullRecord(i, { tags: undefined })),
      1,
    );
    const reused = createPendingRows(1, { ledger: first.ledger, attempts: first.attempts });
    expect(reused.ledger).toBe(first.ledger);
    expect(reused.attempts).toBe(first.attempts);
    const list = [fullRecord(500), minimalRecord('req-min', Date.UTC(2026, 0, 1)), fullRecord(501)];
    for (const record of list) addRecord(reused, record);
    expect(decoded(toRowBatch(reused))).toStrictEqual({
      ledger: list.flatMap((r) => columnValues(r).ledger),
      attempts: list.flatMap((r) => columnValues(r).attempts),
    });
    for (const record of list) expect(findRecord(reused, record.requestId)).toStrictEqual(record);
    expect(findRecord(reused, fullRecord(3).requestId)).toBeUndefined();
  });
});

describe('MULTI_ROW_INSERTS', () => {
  it('cast every text column back to TEXT, and bind every other value as it is', () => {
    const one = MULTI_ROW_INSERTS.find((insert) => insert.rows === 1);
    const values = (columns: readonly string[], text: readonly boolean[]) =>
      `(${columns.map((_, i) => (text[i] ? 'CAST(? AS TEXT)' : '?')).join(', ')})`;
    expect(one?.ledger).toBe(
      `INSERT OR IGNORE INTO ledger (${LEDGER_COLUMNS.join(', ')}) VALUES ${values(LEDGER_COLUMNS, LEDGER_TEXT_COLUMNS)}`,
    );
    expect(one?.attempts).toBe(
      `INSERT OR IGNORE INTO ledger_attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES ${values(ATTEMPT_COLUMNS, ATTEMPT_TEXT_COLUMNS)}`,
    );
    expect(LEDGER_COLUMNS.filter((_, i) => LEDGER_TEXT_COLUMNS[i])).toEqual([
      'request_id',
      'endpoint',
      'key_id',
      'project',
      'user_id',
      'tags',
      'route',
      'strategy',
      'model',
      'provider',
      'deployment',
      'status',
      'error_code',
      'route_trace',
      'feedback_comment',
    ]);
  });
});
