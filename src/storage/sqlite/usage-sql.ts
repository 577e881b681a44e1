/**
 * @module storage/sqlite/usage-sql
 * Usage reports in SQL: the filters become a WHERE over the covering indexes of migration 2, the
 * calendar bucket and the dimensions a GROUP BY, and every sum happens in SQLite, so a month of a
 * million requests never crosses into JavaScript. SQLite groups by sorting, and sorting a
 * million rows costs more than summing them, so two common shapes avoid it: per-period totals
 * run one sorter-free query per period, and a report by model, key or project over most of the
 * ledger reads that dimension's index, whose rows come already grouped. Everything else is one
 * grouped statement, where days and weeks are integer arithmetic on the timestamp and months a
 * balanced CASE over the month boundaries. The 95th percentile, which SQL has no aggregate for,
 * is a small user-defined aggregate that only runs when asked for.
 */

import type Database from 'better-sqlite3';
import type { UsageDimension, UsageQuery, UsageRow } from '../ports.js';
import {
  checkUsageQuery,
  DEFAULT_GOOD,
  nearestRank,
  nextPeriodStart,
  periodStart,
} from '../usage-aggregation.js';
import type { SqlValue } from './ledger-rows.js';

export interface UsageStatement {
  sql: string;
  params: SqlValue[];
  /** The `by` dimensions, in column order (`g0`, `g1`, …). */
  by: readonly UsageDimension[];
}

/** How a query runs: one statement, executed once per parameter list. */
export interface UsagePlan {
  kind: 'grouped' | 'period-loop' | 'dimension-index';
  sql: string;
  paramSets: SqlValue[][];
  /** For a period loop, the period each execution covers. */
  periodStarts?: number[];
  by: readonly UsageDimension[];
}

/** The index that holds each dimension's rows together (migration 2). */
const DIMENSION_INDEXES: Partial<Record<UsageDimension, string>> = {
  model: 'ledger_model_report',
  key: 'ledger_key_report',
  project: 'ledger_project_report',
};

/**
 * Below this share of the ledger's time span, a range scan and a sort of its rows beat reading
 * a dimension's whole index (measured: the sort costs about 2.5× the scan, per row).
 */
const DIMENSION_INDEX_MIN_SHARE = 0.4;

/**
 * Chooses how to run a query on a ledger whose timestamps span `span` (first, last + 1), with
 * the indexes it has. Undefined when the query's range holds no record.
 */
export function planUsageQuery(
  query: UsageQuery,
  span: { from: number; to: number },
  indexes: ReadonlySet<string>,
): UsagePlan | undefined {
  const from = Math.max(query.since ?? span.from, span.from);
  const to = Math.min(query.until ?? span.to, span.to);
  if (from >= to) return undefined;
  const by = query.by ?? [];

  if (query.period !== undefined && by.length === 0) {
    const periodStarts: number[] = [];
    const paramSets: SqlValue[][] = [];
    let sql = '';
    for (
      let start = periodStart(from, query.period);
      start < to;
      start = nextPeriodStart(start, query.period)
    ) {
      const bucket = {
        ...query,
        period: undefined,
        since: Math.max(start, from),
        until: Math.min(nextPeriodStart(start, query.period), to),
      };
      const statement = buildUsageSql(bucket, span);
      sql = statement.sql;
      paramSets.push(statement.params);
      periodStarts.push(start);
    }
    return { kind: 'period-loop', sql, paramSets, periodStarts, by };
  }

  const index = by.length === 1 ? DIMENSION_INDEXES[by[0] as UsageDimension] : undefined;
  const share = (to - from) / Math.max(1, span.to - span.from);
  if (
    query.period === undefined &&
    index !== undefined &&
    indexes.has(index) &&
    query.tag === undefined &&
    share >= DIMENSION_INDEX_MIN_SHARE
  ) {
    const statement = buildUsageSql(query, { from, to }, { indexedBy: index });
    return { kind: 'dimension-index', sql: statement.sql, paramSets: [statement.params], by };
  }
  const statement = buildUsageSql(query, { from, to });
  return { kind: 'grouped', sql: statement.sql, paramSets: [statement.params], by };
}

/** One result row, as SQLite returns it. */
export interface UsageSqlRow {
  period_start: number | null;
  requests: number;
  errors: number | null;
  cancelled: number | null;
  cache_hits: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cached_input_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
  cost_nanos: number | null;
  latency_ms_sum: number | null;
  p95_latency_ms?: number | null;
  rated: number;
  rating_sum: number;
  graded: number;
  graded_good: number | null;
  [group: `g${number}`]: string | null;
}

/** Name of the percentile aggregate; the worker thread defines the same function. */
export const P95_FUNCTION = 'switchyard_p95';

const COLUMN: Readonly<Record<Exclude<UsageDimension, 'tag'>, string>> = {
  model: 'ledger.model',
  key: 'ledger.key_id',
  project: 'ledger.project',
  user: 'ledger.user_id',
  provider: 'ledger.provider',
  strategy: 'ledger.strategy',
  route: 'ledger.route',
};

const DAY_MS = 86_400_000;

/**
 * Builds the statement for a query. `range` is the span the month boundaries must cover (the
 * query's own since/until, or the ledger's first and last timestamps); only month buckets use it.
 */
export function buildUsageSql(
  query: UsageQuery,
  range: { from: number; to: number },
  options: { indexedBy?: string } = {},
): UsageStatement {
  checkUsageQuery(query);
  const by = query.by ?? [];
  const good = query.good ?? DEFAULT_GOOD;
  const params: SqlValue[] = [];
  const select: string[] = [];
  const groupBy: string[] = [];

  if (query.period === 'day') select.push(`(ledger.timestamp / ${DAY_MS}) * ${DAY_MS} AS period_start`);
  else if (query.period === 'week') {
    // Day 0 (1970-01-01) was a Thursday, three days after a Monday.
    select.push(
      `(ledger.timestamp / ${DAY_MS} - (ledger.timestamp / ${DAY_MS} + 3) % 7) * ${DAY_MS} AS period_start`,
    );
  } else if (query.period === 'month') {
    select.push(`${monthCase(monthStarts(range.from, range.to), params)} AS period_start`);
  } else select.push('NULL AS period_start');
  if (query.period !== undefined) groupBy.push('period_start');

  by.forEach((dimension, i) => {
    select.push(`${dimension === 'tag' ? 'tag.value' : COLUMN[dimension]} AS g${i}`);
    groupBy.push(`g${i}`);
  });

  select.push(
    'COUNT(*) AS requests',
    "SUM(ledger.status = 'error') AS errors",
    "SUM(ledger.status = 'cancelled') AS cancelled",
    'SUM(ledger.cache_hit) AS cache_hits',
    'SUM(ledger.input_tokens) AS input_tokens',
    'SUM(ledger.output_tokens) AS output_tokens',
    'SUM(ledger.cached_input_tokens) AS cached_input_tokens',
    'SUM(ledger.cache_write_tokens) AS cache_write_tokens',
    'SUM(ledger.reasoning_tokens) AS reasoning_tokens',
    'SUM(ledger.cost_nanos) AS cost_nanos',
    'SUM(ledger.latency_ms) AS latency_ms_sum',
    'COUNT(ledger.feedback_rating) AS rated',
    'TOTAL(ledger.feedback_rating) AS rating_sum',
    'COUNT(COALESCE(ledger.feedback_rating, ledger.confidence)) AS graded',
    // Feedback, when there is some, outranks the gateway's own confidence estimate.
    'SUM(CASE WHEN ledger.feedback_rating IS NOT NULL THEN ledger.feedback_rating >= ? ' +
      'WHEN ledger.confidence IS NOT NULL THEN ledger.confidence >= ? ELSE 0 END) AS graded_good',
  );
  params.push(good.rating, good.confidence);
  if (query.p95) select.push(`${P95_FUNCTION}(ledger.latency_ms) AS p95_latency_ms`);

  const where: string[] = [];
  if (query.since !== undefined) {
    where.push('ledger.timestamp >= ?');
    params.push(query.since);
  }
  if (query.until !== undefined) {
    where.push('ledger.timestamp < ?');
    params.push(query.until);
  }
  if (query.model !== undefined) {
    where.push('ledger.model = ?');
    params.push(query.model);
  }
  if (query.keyId !== undefined) {
    where.push('ledger.key_id = ?');
    params.push(query.keyId);
  }
  if (query.project !== undefined) {
    where.push('ledger.project = ?');
    params.push(query.project);
  }
  if (query.tag !== undefined) {
    where.push('EXISTS (SELECT 1 FROM json_each(ledger.tags) WHERE json_each.value = ?)');
    params.push(query.tag);
  }

  const sql =
    `SELECT ${select.join(', ')} FROM ledger` +
    (options.indexedBy === undefined ? '' : ` INDEXED BY ${options.indexedBy}`) +
    (by.includes('tag') ? ' LEFT JOIN json_each(ledger.tags) AS tag' : '') +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    (groupBy.length > 0 ? ` GROUP BY ${groupBy.join(', ')}` : '');
  return { sql, params, by };
}

/** First instants of the months from the one holding `from` up to the one holding `to - 1`. */
function monthStarts(from: number, to: number): number[] {
  const starts: number[] = [];
  for (let start = periodStart(from, 'month'); start < Math.max(to, from + 1); ) {
    starts.push(start);
    start = nextPeriodStart(start, 'month');
  }
  return starts;
}

/** A balanced CASE tree: a year of months costs four comparisons per row, not twelve. */
function monthCase(starts: readonly number[], params: SqlValue[]): string {
  if (starts.length === 1) {
    params.push(starts[0] as number);
    return '?';
  }
  const mid = starts.length >> 1;
  params.push(starts[mid] as number);
  const below = monthCase(starts.slice(0, mid), params);
  const above = monthCase(starts.slice(mid), params);
  return `(CASE WHEN ledger.timestamp < ? THEN ${below} ELSE ${above} END)`;
}

/**
 * Maps SQLite's rows to UsageRows (SUM over no values is NULL; an empty range has no rows).
 * `periodStartMs` is the period of the rows of one execution of a period loop.
 */
export function toUsageRows(
  rows: readonly UsageSqlRow[],
  by: readonly UsageDimension[],
  p95: boolean,
  periodStartMs?: number,
): UsageRow[] {
  const out: UsageRow[] = [];
  for (const row of rows) {
    if (row.requests === 0) continue;
    const group: UsageRow['group'] = {};
    by.forEach((dimension, i) => {
      group[dimension] = row[`g${i}`] ?? null;
    });
    const usage: UsageRow = {
      group,
      requests: row.requests,
      errors: row.errors ?? 0,
      cancelled: row.cancelled ?? 0,
      cacheHits: row.cache_hits ?? 0,
      inputTokens: row.input_tokens ?? 0,
      outputTokens: row.output_tokens ?? 0,
      cachedInputTokens: row.cached_input_tokens ?? 0,
      cacheWriteTokens: row.cache_write_tokens ?? 0,
      reasoningTokens: row.reasoning_tokens ?? 0,
      costNanos: row.cost_nanos ?? 0,
      latencyMsSum: row.latency_ms_sum ?? 0,
      rated: row.rated,
      ratingSum: row.rating_sum,
      graded: row.graded,
      gradedGood: row.graded_good ?? 0,
    };
    if (row.period_start !== null) usage.periodStart = row.period_start;
    else if (periodStartMs !== undefined) usage.periodStart = periodStartMs;
    if (p95 && row.p95_latency_ms !== null && row.p95_latency_ms !== undefined)
      usage.p95LatencyMs = row.p95_latency_ms;
    out.push(usage);
  }
  return out;
}

/** Defines the percentile aggregate on a connection (nearest rank, as the memory ledger). */
export function registerUsageFunctions(db: Database.Database): void {
  db.aggregate<number[]>(P95_FUNCTION, {
    start: () => [],
    step: (values, value) => {
      values.push(value);
      return values;
    },
    result: (values: number[]) => nearestRank(values, 0.95) ?? null,
  });
}
