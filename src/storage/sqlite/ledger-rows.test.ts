import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { fullRecord, minimalRecord, usageRecords } from '../ledger.contract.js';
import { ATTEMPT_COLUMNS, columnsFromAttempt, columnsFromRecord, LEDGER_COLUMNS } from '../ledger-columns.js';
import type { LedgerRecord } from '../ports.js';
import { ATTEMPT_WIDTH, LEDGER_WIDTH, packRecord, toRowBatch, unpackRecord } from './ledger-rows.js';

const records: LedgerRecord[] = [
  fullRecord(1),
  fullRecord(2, { usageEstimated: true, cacheHit: true, feedback: { rating: 4, comment: 'ok' } }),
  minimalRecord('req-min', Date.UTC(2026, 0, 1)),
  ...usageRecords(),
];

/** The SQLite values of a record's rows, through the shared column mapping. */
function columnValues(r: LedgerRecord): unknown[] {
  const columns = columnsFromRecord(r);
  const encoded: Record<string, unknown> = {
    ...columns,
    tags: columns.tags === null ? null : JSON.stringify(columns.tags),
    stream: columns.stream ? 1 : 0,
    usage_estimated: columns.usage_estimated ? 1 : 0,
    cache_hit: columns.cache_hit ? 1 : 0,
  };
  const values = LEDGER_COLUMNS.map((column) => encoded[column]);
  for (const a of r.attempts) {
    const attempt = columnsFromAttempt(r.requestId, a);
    values.push(...ATTEMPT_COLUMNS.map((column) => attempt[column]));
  }
  return values;
}

describe('packRecord', () => {
  it('holds the values of the shared column mapping, column for column', () => {
    for (const record of records) expect(packRecord(record)).toStrictEqual(columnValues(record));
  });

  it('unpacks to the record it packed', () => {
    for (const record of records) expect(unpackRecord(packRecord(record))).toStrictEqual(record);
  });

  it('shares nothing the caller can change', () => {
    const record = fullRecord(3);
    const packed = packRecord(record);
    record.tags?.push('later');
    const first = record.attempts[0];
    if (first !== undefined) first.model = 'later';
    expect(unpackRecord(packed)).toStrictEqual(fullRecord(3));
  });
});

describe('toRowBatch', () => {
  it('lays out every ledger row, then every attempt row, with each record’s attempt count', () => {
    const batch = toRowBatch(records.map(packRecord));
    expect(batch.attemptCounts).toEqual(records.map((r) => r.attempts.length));
    expect(batch.ledger).toHaveLength(records.length * LEDGER_WIDTH);
    expect(batch.ledger.slice(LEDGER_WIDTH, LEDGER_WIDTH + 1)).toEqual([records[1]?.requestId]);
    expect(batch.attempts).toEqual(
      records.flatMap((r) =>
        r.attempts.flatMap((a) => ATTEMPT_COLUMNS.map((c) => columnsFromAttempt(r.requestId, a)[c])),
      ),
    );
    expect(batch.attempts.length / ATTEMPT_WIDTH).toBe(records.reduce((n, r) => n + r.attempts.length, 0));
  });

  it('builds arrays without holes, which are posted to the writer thread whole', () => {
    // A large batch, then a smaller one: each array is exactly as long as its rows.
    for (const count of [300, 7]) {
      const batch = toRowBatch(Array.from({ length: count }, (_, i) => packRecord(fullRecord(i))));
      expect(batch.ledger).toHaveLength(count * LEDGER_WIDTH);
      expect(batch.attempts).toHaveLength(count * 2 * ATTEMPT_WIDTH);
      expect(batch.ledger.slice(-LEDGER_WIDTH)).toStrictEqual(
        packRecord(fullRecord(count - 1)).slice(0, LEDGER_WIDTH),
      );
      // postMessage serializes as v8.serialize does: after the two header bytes, 'A' starts a
      // dense array, 'a' the sparse form V8 uses for an array with holes, element by element.
      for (const values of [batch.ledger, batch.attempts])
        expect(String.fromCharCode(v8.serialize(values)[2] ?? 0)).toBe('A');
    }
  });
});
