import { describe, expect, it } from 'vitest';
import { fullRecord, minimalRecord, usageRecords } from '../ledger.contract.js';
import { ATTEMPT_COLUMNS, columnsFromAttempt, columnsFromRecord, LEDGER_COLUMNS } from '../ledger-columns.js';
import type { LedgerRecord } from '../ports.js';
import {
  ATTEMPT_TEXT_COLUMNS,
  ATTEMPT_WIDTH,
  addRecord,
  createPendingRows,
  decodeRows,
  findRecord,
  LEDGER_TEXT_COLUMNS,
  LEDGER_WIDTH,
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
  const columns = columnsFromRecord(r);
  const encoded: Record<string, unknown> = {
    ...columns,
    tags: columns.tags === null ? null : JSON.stringify(columns.tags),
    stream: columns.stream ? 1 : 0,
    usage_estimated: columns.usage_estimated ? 1 : 0,
    cache_hit: columns.cache_hit ? 1 : 0,
  };
  return {
    ledger: LEDGER_COLUMNS.map((column) => encoded[column]),
    attempts: r.attempts.flatMap((a) => {
      const attempt = columnsFromAttempt(r.requestId, a);
      return ATTEMPT_COLUMNS.map((column) => attempt[column]);
    }),
  };
}

function pendingOf(list: readonly LedgerRecord[], capacity = 4): PendingRows {
  const rows = createPendingRows(capacity);
  for (const record of list) addRecord(rows, record);
  return rows;
}

/** Every value of a batch, decoded as the writer binds them. */
function decoded(batch: RowBatch): { ledger: SqlValue[]; attempts: SqlValue[] } {
  const ledger = new Array<SqlValue>(batch.ledger.length).fill(null);
  const attempts = new Array<SqlValue>(batch.attempts.length).fill(null);
  decodeRows(batch.ledger, 0, LEDGER_TEXT_COLUMNS, batch.strings, ledger);
  decodeRows(batch.attempts, 0, ATTEMPT_TEXT_COLUMNS, batch.strings, attempts);
  return { ledger, attempts };
}

describe('addRecord and decodeRows', () => {
  it('encode the values of the shared column mapping, column for column, every row in record order', () => {
    const batch = toRowBatch(pendingOf(records));
    expect(decoded(batch)).toStrictEqual({
      ledger: records.flatMap((r) => columnValues(r).ledger),
      attempts: records.flatMap((r) => columnValues(r).attempts),
    });
    expect(batch.attemptCounts).toEqual(records.map((r) => r.attempts.length));
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

  it('hold a string repeated within a batch once, and every request id apart', () => {
    const batch = toRowBatch(pendingOf(Array.from({ length: 50 }, (_, i) => fullRecord(i))));
    expect(batch.strings[0]).toBeNull();
    for (const text of ['/v1/chat/completions', 'gpt-4o-mini', 'openai', 'primary', 'alpha', 'key-1'])
      expect(batch.strings.filter((s) => s === text)).toHaveLength(1);
    for (let i = 0; i < 50; i++) expect(batch.strings).toContain(fullRecord(i).requestId);
    // 50 ids, 50 distinct tag lists, and a few dozen strings shared by all.
    expect(batch.strings.length).toBeLessThan(50 * 2 + 30);
  });

  it('grow a batch past the capacity it was made with', () => {
    const many = Array.from({ length: 300 }, (_, i) => fullRecord(i));
    const batch = toRowBatch(pendingOf(many, 1));
    expect(batch.ledger).toHaveLength(300 * LEDGER_WIDTH);
    expect(batch.attempts).toHaveLength(300 * 2 * ATTEMPT_WIDTH);
    expect(decoded(batch).ledger.slice(-LEDGER_WIDTH)).toStrictEqual(columnValues(fullRecord(299)).ledger);
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

describe('toRowBatch', () => {
  it('copies the codes at their exact size, so that the batch can be transferred and built again', () => {
    const rows = pendingOf([fullRecord(1), fullRecord(2)], 64);
    const batch = toRowBatch(rows);
    expect(batch.ledger).toHaveLength(2 * LEDGER_WIDTH);
    expect(batch.ledger.byteLength).toBe(batch.ledger.buffer.byteLength);
    expect(batch.attempts.byteLength).toBe(batch.attempts.buffer.byteLength);
    const before = decoded(batch);
    // What a worker writer does with it: move the buffers to the thread.
    structuredClone(batch, { transfer: [batch.ledger.buffer, batch.attempts.buffer] });
    expect(batch.ledger).toHaveLength(0);
    // A retry builds the same batch again from the queue's copy.
    expect(decoded(toRowBatch(rows))).toStrictEqual(before);
    expect(findRecord(rows, fullRecord(2).requestId)).toStrictEqual(fullRecord(2));
  });
});
