/**
 * @module storage/postgres/pg-queries
 * The read side of the PostgreSQL ledger as SQL: the filtered, newest-first `query`; the
 * oldest-first keyset pages of `scan`; and usage reports, where the calendar bucket and the
 * dimensions become the GROUP BY and every sum happens in the database. Calendar buckets are
 * `date_trunc` in UTC (ISO weeks start on Monday, as the reports want); the 95th percentile is
 * `percentile_disc`, which is the nearest-rank definition the memory ledger uses. Row order is
 * left to the caller, who sorts with the shared comparator so that every backend orders groups
 * the same way whatever the database's collation.
 */

import type { LedgerQuery, UsageDimension, UsageQuery, UsageRow } from '../ports.js';
import { checkUsageQuery, DEFAULT_GOOD } from '../usage-aggregation.js';

export interface Statement {
  text: string;
  values: unknown[];
}

function filters(query: LedgerQuery, values: unknown[]): string[] {
  const where: string[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (query.since !== undefined) where.push(`timestamp >= ${param(query.since)}`);
  if (query.until !== undefined) where.push(`timestamp < ${param(query.until)}`);
  if (query.model !== undefined) where.push(`model = ${param(query.model)}`);
  if (query.keyId !== undefined) where.push(`key_id = ${param(query.keyId)}`);
  if (query.project !== undefined) where.push(`project = ${param(query.project)}`);
  return where;
}

/** Newest first, ties by request id descending, at most `limit` rows. */
export function querySql(schema: string, query: LedgerQuery): Statement {
  const values: unknown[] = [];
  const where = filters(query, values);
  let text =
    `SELECT * FROM ${schema}.ledger` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY timestamp DESC, request_id DESC';
  if (query.limit !== undefined) {
    values.push(Math.max(0, Math.floor(query.limit)));
    text += ` LIMIT $${values.length}`;
  }
  return { text, values };
}

/** One page of a scan: oldest first, strictly after the last (timestamp, request id) seen. */
export function scanPageSql(
  schema: string,
  query: LedgerQuery,
  after: readonly [number, string] | undefined,
  size: number,
): Statement {
  const values: unknown[] = [];
  const where = filters(query, values);
  if (after !== undefined) {
    values.push(after[0], after[1]);
    where.push(`(timestamp, request_id) > ($${values.length - 1}, $${values.length})`);
  }
  values.push(size);
  const text =
    `SELECT * FROM ${schema}.ledger` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY timestamp, request_id LIMIT $${values.length}`;
  return { text, values };
}

/** Attempts of several requests, grouped by request id and ordered by attempt. */
export function attemptsSql(schema: string, requestIds: readonly string[]): Statement {
  return {
    text: `SELECT * FROM ${schema}.ledger_attempts WHERE request_id = ANY($1::text[]) ORDER BY request_id, attempt`,
    values: [requestIds],
  };
}

const COLUMN: Readonly<Record<Exclude<UsageDimension, 'tag'>, string>> = {
  model: 'ledger.model',
  key: 'ledger.key_id',
  project: 'ledger.project',
  user: 'ledger.user_id',
  provider: 'ledger.provider',
  strategy: 'ledger.strategy',
  route: 'ledger.route',
};

/** A usage-report row as node-postgres returns it (BIGINT counts parsed to numbers). */
export interface PgUsageRow {
  period_start: number | null;
  requests: number;
  errors: number;
  cancelled: number;
  cache_hits: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_nanos: number;
  latency_ms_sum: number;
  p95_latency_ms?: number | null;
  rated: number;
  rating_sum: number;
  graded: number;
  graded_good: number;
  [group: `g${number}`]: string | null;
}

export function usageSql(schema: string, query: UsageQuery): Statement {
  checkUsageQuery(query);
  const by = query.by ?? [];
  const good = query.good ?? DEFAULT_GOOD;
  const values: unknown[] = [good.rating, good.confidence];
  const select: string[] = [];
  const groupBy: string[] = [];

  if (query.period !== undefined) {
    // The period is one of three literals, never caller text.
    const unit = { day: 'day', week: 'week', month: 'month' }[query.period];
    select.push(
      `(extract(epoch FROM date_trunc('${unit}', to_timestamp(ledger.timestamp / 1000.0) AT TIME ZONE 'UTC')) * 1000)::int8 AS period_start`,
    );
    groupBy.push('period_start');
  } else select.push('NULL::int8 AS period_start');
  by.forEach((dimension, i) => {
    select.push(`${dimension === 'tag' ? 'tag.value' : COLUMN[dimension]} AS g${i}`);
    groupBy.push(`g${i}`);
  });
  const sum = (column: string, alias: string) => `COALESCE(SUM(ledger.${column}), 0)::int8 AS ${alias}`;
  select.push(
    'COUNT(*) AS requests',
    "COUNT(*) FILTER (WHERE ledger.status = 'error') AS errors",
    "COUNT(*) FILTER (WHERE ledger.status = 'cancelled') AS cancelled",
    'COUNT(*) FILTER (WHERE ledger.cache_hit) AS cache_hits',
    sum('input_tokens', 'input_tokens'),
    sum('output_tokens', 'output_tokens'),
    sum('cached_input_tokens', 'cached_input_tokens'),
    sum('cache_write_tokens', 'cache_write_tokens'),
    sum('reasoning_tokens', 'reasoning_tokens'),
    sum('cost_nanos', 'cost_nanos'),
    'COALESCE(SUM(ledger.latency_ms), 0) AS latency_ms_sum',
    'COUNT(ledger.feedback_rating) AS rated',
    'COALESCE(SUM(ledger.feedback_rating), 0) AS rating_sum',
    'COUNT(COALESCE(ledger.feedback_rating, ledger.confidence)) AS graded',
    // Feedback, when there is some, outranks the gateway's own confidence estimate.
    'COUNT(*) FILTER (WHERE CASE WHEN ledger.feedback_rating IS NOT NULL THEN ledger.feedback_rating >= $1 ' +
      'WHEN ledger.confidence IS NOT NULL THEN ledger.confidence >= $2 ELSE false END) AS graded_good',
  );
  if (query.p95)
    select.push('percentile_disc(0.95) WITHIN GROUP (ORDER BY ledger.latency_ms) AS p95_latency_ms');

  const where = filters(query, values).map((condition) => `ledger.${condition}`);
  if (query.tag !== undefined) {
    values.push(query.tag);
    where.push(`ledger.tags @> jsonb_build_array($${values.length}::text)`);
  }
  const text =
    `SELECT ${select.join(', ')} FROM ${schema}.ledger AS ledger` +
    (by.includes('tag')
      ? ' LEFT JOIN LATERAL jsonb_array_elements_text(ledger.tags) AS tag(value) ON true'
      : '') +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    (groupBy.length > 0 ? ` GROUP BY ${groupBy.join(', ')}` : '');
  return { text, values };
}

/** Maps result rows to UsageRows (an ungrouped query over nothing answers one empty row: dropped). */
export function toUsageRows(rows: readonly PgUsageRow[], query: UsageQuery): UsageRow[] {
  const by = query.by ?? [];
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
      errors: row.errors,
      cancelled: row.cancelled,
      cacheHits: row.cache_hits,
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      cachedInputTokens: row.cached_input_tokens,
      cacheWriteTokens: row.cache_write_tokens,
      reasoningTokens: row.reasoning_tokens,
      costNanos: row.cost_nanos,
      latencyMsSum: row.latency_ms_sum,
      rated: row.rated,
      ratingSum: row.rating_sum,
      graded: row.graded,
      gradedGood: row.graded_good,
    };
    if (row.period_start !== null) usage.periodStart = row.period_start;
    if (query.p95 && row.p95_latency_ms !== null && row.p95_latency_ms !== undefined)
      usage.p95LatencyMs = row.p95_latency_ms;
    out.push(usage);
  }
  return out;
}
