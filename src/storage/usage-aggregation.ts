/**
 * @module storage/usage-aggregation
 * What a usage report means, written once in plain code: the UTC calendar buckets, which records
 * a query selects, how a record adds into a row, and the order of the rows. The memory ledger
 * aggregates with it directly, any Ledger without `aggregate` can be reported on through it,
 * and the SQLite ledger's SQL is held to the same answers by the contract suite.
 */

import type { LedgerRecord, UsageDimension, UsagePeriod, UsageQuery, UsageRow } from './ports.js';

const DAY_MS = 86_400_000;

export const USAGE_DIMENSIONS: readonly UsageDimension[] = [
  'model',
  'key',
  'project',
  'user',
  'tag',
  'provider',
  'strategy',
  'route',
];

export const DEFAULT_GOOD = Object.freeze({ rating: 4, confidence: 0.7 });

/** Start (epoch ms) of the UTC day, Monday-based week or month holding `timestamp`. */
export function periodStart(timestamp: number, period: UsagePeriod): number {
  const day = Math.floor(timestamp / DAY_MS);
  if (period === 'day') return day * DAY_MS;
  // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
  if (period === 'week') return (day - ((((day + 3) % 7) + 7) % 7)) * DAY_MS;
  const date = new Date(timestamp);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** Start of the period after the one starting at `start`. */
export function nextPeriodStart(start: number, period: UsagePeriod): number {
  if (period === 'day') return start + DAY_MS;
  if (period === 'week') return start + 7 * DAY_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

export function emptyUsageRow(group: UsageRow['group'] = {}, periodStartMs?: number): UsageRow {
  const row: UsageRow = {
    group,
    requests: 0,
    errors: 0,
    cancelled: 0,
    cacheHits: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos: 0,
    latencyMsSum: 0,
    rated: 0,
    ratingSum: 0,
    graded: 0,
    gradedGood: 0,
  };
  if (periodStartMs !== undefined) row.periodStart = periodStartMs;
  return row;
}

/** Adds the additive fields of `from` into `into` (p95 does not add up and is left alone). */
export function addUsageRow(into: UsageRow, from: UsageRow): void {
  into.requests += from.requests;
  into.errors += from.errors;
  into.cancelled += from.cancelled;
  into.cacheHits += from.cacheHits;
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.cachedInputTokens += from.cachedInputTokens;
  into.cacheWriteTokens += from.cacheWriteTokens;
  into.reasoningTokens += from.reasoningTokens;
  into.costNanos += from.costNanos;
  into.latencyMsSum += from.latencyMsSum;
  into.rated += from.rated;
  into.ratingSum += from.ratingSum;
  into.graded += from.graded;
  into.gradedGood += from.gradedGood;
}

/** Whether a record falls in the query's range and matches its filters. */
export function matchesUsageQuery(record: LedgerRecord, query: UsageQuery): boolean {
  if (query.since !== undefined && record.timestamp < query.since) return false;
  if (query.until !== undefined && record.timestamp >= query.until) return false;
  if (query.model !== undefined && record.model !== query.model) return false;
  if (query.keyId !== undefined && record.keyId !== query.keyId) return false;
  if (query.project !== undefined && record.project !== query.project) return false;
  if (query.tag !== undefined && !(record.tags ?? []).includes(query.tag)) return false;
  return true;
}

function dimensionValue(record: LedgerRecord, dimension: Exclude<UsageDimension, 'tag'>): string | null {
  switch (dimension) {
    case 'model':
      return record.model ?? null;
    case 'key':
      return record.keyId ?? null;
    case 'project':
      return record.project ?? null;
    case 'user':
      return record.user ?? null;
    case 'provider':
      return record.provider ?? null;
    case 'strategy':
      return record.strategy;
    case 'route':
      return record.route ?? null;
  }
}

/** Checks `by` once, so that every backend refuses the same queries with the same message. */
export function checkUsageQuery(query: UsageQuery): void {
  const by = query.by ?? [];
  const seen = new Set<UsageDimension>();
  for (const dimension of by) {
    if (!USAGE_DIMENSIONS.includes(dimension)) throw new RangeError(`unknown usage dimension: ${dimension}`);
    if (seen.has(dimension)) throw new RangeError(`usage dimension ${dimension} given twice`);
    seen.add(dimension);
  }
}

/** Nearest-rank percentile of unsorted values (sorts them in place). */
export function nearestRank(values: number[] | Float64Array, fraction: number): number | undefined {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  return values[Math.max(0, Math.ceil(fraction * values.length) - 1)];
}

/** Period ascending, then cost descending, then each group value ascending (null first). */
export function compareUsageRows(a: UsageRow, b: UsageRow, by: readonly UsageDimension[] = []): number {
  const pa = a.periodStart ?? 0;
  const pb = b.periodStart ?? 0;
  if (pa !== pb) return pa - pb;
  if (a.costNanos !== b.costNanos) return b.costNanos - a.costNanos;
  for (const dimension of by) {
    const va = a.group[dimension] ?? null;
    const vb = b.group[dimension] ?? null;
    if (va === vb) continue;
    if (va === null) return -1;
    if (vb === null) return 1;
    return va < vb ? -1 : 1;
  }
  return 0;
}

interface Accumulator {
  row: UsageRow;
  latencies: number[] | undefined;
}

/**
 * Aggregates records in memory: the reference semantics of `Ledger.aggregate`. Grouped by tag, a
 * request counts under each tag it lists (as often as it lists it), and untagged under null.
 */
export function aggregateRecords(records: Iterable<LedgerRecord>, query: UsageQuery): UsageRow[] {
  checkUsageQuery(query);
  const by = query.by ?? [];
  const plain = by.filter((d): d is Exclude<UsageDimension, 'tag'> => d !== 'tag');
  const byTag = by.includes('tag');
  const good = query.good ?? DEFAULT_GOOD;
  const groups = new Map<string, Accumulator>();
  const noTag: (string | null)[] = [null];

  for (const record of records) {
    if (!matchesUsageQuery(record, query)) continue;
    const start = query.period === undefined ? undefined : periodStart(record.timestamp, query.period);
    const values = plain.map((d) => dimensionValue(record, d));
    const tags = byTag ? (record.tags !== undefined && record.tags.length > 0 ? record.tags : noTag) : noTag;
    for (const tag of tags) {
      const id = JSON.stringify([start ?? null, values, byTag ? tag : null]);
      let accumulator = groups.get(id);
      if (accumulator === undefined) {
        const group: UsageRow['group'] = {};
        plain.forEach((d, i) => {
          group[d] = values[i] ?? null;
        });
        if (byTag) group.tag = tag;
        accumulator = { row: emptyUsageRow(group, start), latencies: query.p95 ? [] : undefined };
        groups.set(id, accumulator);
      }
      addRecord(accumulator, record, good);
    }
  }

  const rows: UsageRow[] = [];
  for (const { row, latencies } of groups.values()) {
    if (latencies !== undefined) {
      const p95 = nearestRank(latencies, 0.95);
      if (p95 !== undefined) row.p95LatencyMs = p95;
    }
    rows.push(row);
  }
  return rows.sort((a, b) => compareUsageRows(a, b, by));
}

function addRecord(
  accumulator: Accumulator,
  record: LedgerRecord,
  good: { rating: number; confidence: number },
) {
  const row = accumulator.row;
  row.requests++;
  if (record.status === 'error') row.errors++;
  else if (record.status === 'cancelled') row.cancelled++;
  if (record.cacheHit) row.cacheHits++;
  row.inputTokens += record.inputTokens;
  row.outputTokens += record.outputTokens;
  row.cachedInputTokens += record.cachedInputTokens;
  row.cacheWriteTokens += record.cacheWriteTokens;
  row.reasoningTokens += record.reasoningTokens;
  row.costNanos += record.costNanos;
  row.latencyMsSum += record.latencyMs;
  accumulator.latencies?.push(record.latencyMs);
  if (record.feedback !== undefined) {
    row.rated++;
    row.ratingSum += record.feedback.rating;
    row.graded++;
    if (record.feedback.rating >= good.rating) row.gradedGood++;
  } else if (record.confidence !== undefined) {
    row.graded++;
    if (record.confidence >= good.confidence) row.gradedGood++;
  }
}
