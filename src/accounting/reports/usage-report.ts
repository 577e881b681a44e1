/**
 * @module accounting/reports/usage-report
 * The documents behind `switchyard costs stats|report` and `GET /admin/usage[/report]`: usage
 * rows as JSON (snake_case, money as exact USD strings beside the integer nano-dollars) or CSV,
 * and the cost report — spend per period, a breakdown by dimension, the month-end forecast and
 * the optimizer's advice. Built the same way from a local ledger and in the gateway, so the CLI
 * renders one shape whether it read the database or asked a running gateway.
 */

import type { Ledger, UsageDimension, UsagePeriod, UsageQuery, UsageRow } from '../../storage/ports.js';
import { addUsageRow, aggregateRecords, emptyUsageRow } from '../../storage/usage-aggregation.js';
import { csvRecord } from './csv.js';
import { forecastMonthEnd, type MonthForecast } from './forecast.js';
import { formatUsdExact } from './money.js';
import { type AdvisorModel, adviseCheaperModels, type CostSuggestion, type Evidence } from './optimizer.js';
import { PERIOD_NAMES } from './report-options.js';

export interface UsageFilters {
  since?: number;
  until?: number;
  model?: string;
  keyId?: string;
  project?: string;
  tag?: string;
}

export interface UsageRequest {
  filters: UsageFilters;
  period?: UsagePeriod;
  by?: readonly UsageDimension[];
  p95?: boolean;
}

/** Through `Ledger.aggregate` where the backend has it; otherwise over the records in memory. */
export async function aggregateUsage(ledger: Ledger, query: UsageQuery): Promise<UsageRow[]> {
  if (ledger.aggregate !== undefined) return ledger.aggregate(query);
  const { since, until, model, keyId, project } = query;
  const records = await ledger.query({ since, until, model, keyId, project });
  return aggregateRecords(records, query);
}

export interface UsageRowJson {
  period_start?: string;
  model?: string | null;
  key?: string | null;
  project?: string | null;
  user?: string | null;
  tag?: string | null;
  provider?: string | null;
  strategy?: string | null;
  route?: string | null;
  requests: number;
  errors: number;
  cancelled: number;
  cache_hits: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_usd: string;
  cost_nanos: number;
  avg_latency_ms: number | null;
  p95_latency_ms?: number | null;
  rated: number;
  avg_rating: number | null;
  graded: number;
  good_share: number | null;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function usageRowJson(row: UsageRow, by: readonly UsageDimension[], p95 = false): UsageRowJson {
  const out: Partial<UsageRowJson> = {};
  if (row.periodStart !== undefined) out.period_start = new Date(row.periodStart).toISOString().slice(0, 10);
  for (const dimension of by) out[dimension] = row.group[dimension] ?? null;
  Object.assign(out, {
    requests: row.requests,
    errors: row.errors,
    cancelled: row.cancelled,
    cache_hits: row.cacheHits,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cached_input_tokens: row.cachedInputTokens,
    cache_write_tokens: row.cacheWriteTokens,
    reasoning_tokens: row.reasoningTokens,
    cost_usd: formatUsdExact(row.costNanos),
    cost_nanos: row.costNanos,
    avg_latency_ms: row.requests === 0 ? null : round(row.latencyMsSum / row.requests, 1),
  });
  if (p95) out.p95_latency_ms = row.p95LatencyMs ?? null;
  Object.assign(out, {
    rated: row.rated,
    avg_rating: row.rated === 0 ? null : round(row.ratingSum / row.rated, 3),
    graded: row.graded,
    good_share: row.graded === 0 ? null : round(row.gradedGood / row.graded, 4),
  });
  return out as UsageRowJson;
}

interface DocumentHead {
  generated_at: string;
  period: 'daily' | 'weekly' | 'monthly' | null;
  by: UsageDimension[];
  since: string | null;
  until: string | null;
  filters: { model?: string; key?: string; project?: string; tag?: string };
}

export interface UsageDocument extends DocumentHead {
  rows: UsageRowJson[];
  totals: UsageRowJson;
}

function head(request: UsageRequest, now: number, by = request.by ?? []): DocumentHead {
  const { filters } = request;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    generated_at: new Date(now).toISOString(),
    period: request.period === undefined ? null : (PERIOD_NAMES[request.period] as DocumentHead['period']),
    by: [...by],
    since: iso(filters.since),
    until: iso(filters.until),
    filters: {
      ...(filters.model === undefined ? {} : { model: filters.model }),
      ...(filters.keyId === undefined ? {} : { key: filters.keyId }),
      ...(filters.project === undefined ? {} : { project: filters.project }),
      ...(filters.tag === undefined ? {} : { tag: filters.tag }),
    },
  };
}

function sumRows(rows: readonly UsageRow[]): UsageRow {
  const total = emptyUsageRow();
  for (const row of rows) addUsageRow(total, row);
  return total;
}

/** Totals over `rows`; grouped by tag a request appears once per tag, so those are asked for afresh. */
async function totalsOf(ledger: Ledger, request: UsageRequest, rows: readonly UsageRow[]): Promise<UsageRow> {
  if (!(request.by ?? []).includes('tag')) return sumRows(rows);
  return sumRows(await aggregateUsage(ledger, { ...request.filters }));
}

export async function buildUsageDocument(
  ledger: Ledger,
  request: UsageRequest,
  now = Date.now(),
): Promise<UsageDocument> {
  const by = request.by ?? [];
  const p95 = request.p95 === true;
  const rows = await aggregateUsage(ledger, {
    ...request.filters,
    ...(request.period === undefined ? {} : { period: request.period }),
    by,
    p95,
  });
  const totals = await totalsOf(ledger, request, rows);
  return {
    ...head(request, now),
    rows: rows.map((row) => usageRowJson(row, by, p95)),
    totals: usageRowJson(totals, []),
  };
}

/** The columns of a usage CSV: the period, the dimensions, then the measures. */
export function usageCsvColumns(doc: Pick<UsageDocument, 'period' | 'by' | 'rows'>): string[] {
  const p95 = doc.rows.some((row) => 'p95_latency_ms' in row);
  return [
    ...(doc.period === null ? [] : ['period_start']),
    ...doc.by,
    'requests',
    'errors',
    'cancelled',
    'cache_hits',
    'input_tokens',
    'output_tokens',
    'cached_input_tokens',
    'cache_write_tokens',
    'reasoning_tokens',
    'cost_usd',
    'avg_latency_ms',
    ...(p95 ? ['p95_latency_ms'] : []),
    'rated',
    'avg_rating',
    'graded',
    'good_share',
  ];
}

/** The rows of a usage document as RFC 4180 CSV, header first. */
export function usageCsv(doc: Pick<UsageDocument, 'period' | 'by' | 'rows'>): string {
  const columns = usageCsvColumns(doc);
  let out = csvRecord(columns);
  for (const row of doc.rows) {
    const values = row as unknown as Record<string, string | number | null | undefined>;
    out += csvRecord(columns.map((column) => values[column]));
  }
  return out;
}

export interface ForecastJson {
  month: string;
  method: MonthForecast['method'];
  days_elapsed: number;
  days_in_month: number;
  spent_usd: string;
  forecast_usd: string;
  low_usd: string | null;
  high_usd: string | null;
  spent_nanos: number;
  forecast_nanos: number;
  low_nanos: number | null;
  high_nanos: number | null;
  trend_usd_per_day: string | null;
  note: string;
}

export function forecastJson(forecast: MonthForecast): ForecastJson {
  const usd = (nanos: number | undefined) => (nanos === undefined ? null : formatUsdExact(nanos));
  return {
    month: forecast.month,
    method: forecast.method,
    days_elapsed: round(forecast.daysElapsed, 2),
    days_in_month: forecast.daysInMonth,
    spent_usd: formatUsdExact(forecast.spentNanos),
    forecast_usd: formatUsdExact(forecast.forecastNanos),
    low_usd: usd(forecast.lowNanos),
    high_usd: usd(forecast.highNanos),
    spent_nanos: forecast.spentNanos,
    forecast_nanos: forecast.forecastNanos,
    low_nanos: forecast.lowNanos ?? null,
    high_nanos: forecast.highNanos ?? null,
    trend_usd_per_day:
      forecast.trend === undefined ? null : formatUsdExact(Math.round(forecast.trend.slopeNanosPerDay)),
    note: forecast.note,
  };
}

export interface EvidenceJson {
  scope: Evidence['scope'];
  requests: number;
  error_rate: number;
  graded: number;
  good_share: number | null;
  rated: number;
  avg_rating: number | null;
}

export interface SuggestionJson {
  route: string | null;
  model: string;
  alternative: string;
  tier: string;
  requests: number;
  cost_usd: string;
  estimated_cost_usd: string;
  alternative_cost_usd: string;
  saving_usd: string;
  saving_nanos: number;
  saving_share: number;
  strength: CostSuggestion['strength'];
  reason: string;
  evidence: { current: EvidenceJson; alternative: EvidenceJson };
}

function evidenceJson(evidence: Evidence): EvidenceJson {
  return {
    scope: evidence.scope,
    requests: evidence.requests,
    error_rate: round(evidence.errorRate, 4),
    graded: evidence.graded,
    good_share: evidence.goodShare === null ? null : round(evidence.goodShare, 4),
    rated: evidence.rated,
    avg_rating: evidence.avgRating === null ? null : round(evidence.avgRating, 3),
  };
}

export function suggestionJson(suggestion: CostSuggestion): SuggestionJson {
  return {
    route: suggestion.route,
    model: suggestion.model,
    alternative: suggestion.alternative,
    tier: suggestion.tier,
    requests: suggestion.requests,
    cost_usd: formatUsdExact(suggestion.costNanos),
    estimated_cost_usd: formatUsdExact(suggestion.estimatedCostNanos),
    alternative_cost_usd: formatUsdExact(suggestion.alternativeCostNanos),
    saving_usd: formatUsdExact(suggestion.savingNanos),
    saving_nanos: suggestion.savingNanos,
    saving_share: round(suggestion.savingShare, 4),
    strength: suggestion.strength,
    reason: suggestion.reason,
    evidence: {
      current: evidenceJson(suggestion.current),
      alternative: evidenceJson(suggestion.alternativeEvidence),
    },
  };
}

export interface CostReport extends DocumentHead {
  /** Spend per period over the range (no dimensions). */
  periods: UsageRowJson[];
  /** The range broken down by `by` (no periods). */
  breakdown: UsageRowJson[];
  totals: UsageRowJson;
  /** The current UTC month, whatever the range: filters apply, since/until do not. */
  forecast: ForecastJson;
  advice: SuggestionJson[];
}

export interface CostReportRequest extends UsageRequest {
  /** Suggestions to list (default 5). */
  top?: number;
}

/** The full report: four aggregate queries (periods, breakdown, this month by day, route × model). */
export async function buildCostReport(
  ledger: Ledger,
  models: ReadonlyMap<string, AdvisorModel>,
  request: CostReportRequest,
  now = Date.now(),
): Promise<CostReport> {
  const by = request.by !== undefined && request.by.length > 0 ? request.by : (['model'] as const);
  const period = request.period ?? 'month';
  const { since: _since, until: _until, ...withoutRange } = request.filters;
  const date = new Date(now);
  const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const monthEnd = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);

  const periods = await aggregateUsage(ledger, { ...request.filters, period });
  const breakdown = await aggregateUsage(ledger, { ...request.filters, by });
  const month = await aggregateUsage(ledger, {
    ...withoutRange,
    since: monthStart,
    until: monthEnd,
    period: 'day',
  });
  const groups = await aggregateUsage(ledger, { ...request.filters, by: ['route', 'model'] });

  const forecast = forecastMonthEnd(
    month.map((row) => ({ day: row.periodStart ?? monthStart, costNanos: row.costNanos })),
    now,
  );
  const advice = adviseCheaperModels(groups, models, { top: request.top ?? 5 });
  return {
    ...head({ ...request, period }, now, by),
    periods: periods.map((row) => usageRowJson(row, [])),
    breakdown: breakdown.map((row) => usageRowJson(row, by)),
    totals: usageRowJson(sumRows(periods), []),
    forecast: forecastJson(forecast),
    advice: advice.map(suggestionJson),
  };
}
