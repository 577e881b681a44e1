/**
 * @module storage/memory/memory-ledger
 * The in-memory Ledger: for tests, `memory://` storage and single-process development. Appends
 * are synchronous Map inserts, so every read sees every append and `flush()` has nothing to wait
 * for. Records are copied in and out so callers cannot change what was recorded. The oldest
 * records are evicted past `maxRecords` (an evicted id could then be recorded again).
 */

import type { Ledger, LedgerQuery, LedgerRecord } from '../ports.js';
import { aggregateRecords } from '../usage-aggregation.js';
import { copyRecord } from '../write-behind.js';

export interface MemoryLedgerOptions {
  /** Records kept before the oldest are evicted; default 100,000. */
  maxRecords?: number;
}

export function createMemoryLedger(options: MemoryLedgerOptions = {}): Ledger {
  const maxRecords = options.maxRecords ?? 100_000;
  // A Map iterates in insertion order, which makes eviction of the oldest O(1).
  const records = new Map<string, LedgerRecord>();
  let closed = false;

  return {
    append(record) {
      if (closed) throw new Error('ledger is closed');
      if (records.has(record.requestId)) return;
      records.set(record.requestId, copyRecord(record));
      if (records.size > maxRecords) {
        const oldest = records.keys().next().value;
        if (oldest !== undefined) records.delete(oldest);
      }
    },
    async flush() {},
    async get(requestId) {
      const record = records.get(requestId);
      return record === undefined ? undefined : copyRecord(record);
    },
    async query(query) {
      const matches: LedgerRecord[] = [];
      for (const record of records.values()) if (matchesQuery(record, query)) matches.push(record);
      matches.sort(newestFirst);
      const limited = query.limit === undefined ? matches : matches.slice(0, Math.max(0, query.limit));
      return limited.map(copyRecord);
    },
    async count() {
      return records.size;
    },
    async setFeedback(requestId, rating, comment) {
      const record = records.get(requestId);
      if (record === undefined) return false;
      // The stored record is this ledger's own copy: replacing its feedback changes no caller's object.
      record.feedback = comment === undefined ? { rating } : { rating, comment };
      return true;
    },
    async aggregate(query) {
      return aggregateRecords(records.values(), query);
    },
    async *scan(query) {
      const matches: LedgerRecord[] = [];
      for (const record of records.values()) if (matchesQuery(record, query)) matches.push(record);
      matches.sort(oldestFirst);
      const limit = query.limit === undefined ? matches.length : Math.max(0, Math.floor(query.limit));
      for (let i = 0; i < matches.length && i < limit; i++) yield copyRecord(matches[i] as LedgerRecord);
    },
    async close() {
      closed = true;
    },
  };
}

/** `since` is inclusive, `until` exclusive, as in every Ledger backend. */
function matchesQuery(record: LedgerRecord, query: LedgerQuery): boolean {
  if (query.since !== undefined && record.timestamp < query.since) return false;
  if (query.until !== undefined && record.timestamp >= query.until) return false;
  if (query.model !== undefined && record.model !== query.model) return false;
  if (query.keyId !== undefined && record.keyId !== query.keyId) return false;
  if (query.project !== undefined && record.project !== query.project) return false;
  return true;
}

/** Newest first; ties broken by request id, descending, so every backend returns the same order. */
function newestFirst(a: LedgerRecord, b: LedgerRecord): number {
  if (a.timestamp !== b.timestamp) return b.timestamp - a.timestamp;
  return a.requestId < b.requestId ? 1 : a.requestId > b.requestId ? -1 : 0;
}

function oldestFirst(a: LedgerRecord, b: LedgerRecord): number {
  return -newestFirst(a, b);
}
