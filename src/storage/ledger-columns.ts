/**
 * @module storage/ledger-columns
 * What every SQL Ledger backend shares: the one mapping between a LedgerRecord and its `ledger` /
 * `ledger_attempts` rows, one column per field, an absent optional field as NULL and NULL back to
 * absent, so a record read back equals the record written. The columns here hold native values
 * (booleans, the tags as a string array); a backend only encodes what its driver cannot store as
 * is (SQLite has no booleans or JSON; node-postgres would send a JS array as a PG array, not JSONB).
 */

import type { AttemptRecord, LedgerRecord } from './ports.js';

/** A `ledger` row, column for column, with native values. */
export interface LedgerColumns {
  request_id: string;
  timestamp: number;
  endpoint: string;
  key_id: string | null;
  project: string | null;
  user_id: string | null;
  tags: string[] | null;
  route: string | null;
  strategy: string;
  model: string | null;
  provider: string | null;
  deployment: string | null;
  status: LedgerRecord['status'];
  error_code: string | null;
  http_status: number;
  stream: boolean;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  usage_estimated: boolean;
  cost_nanos: number;
  latency_ms: number;
  ttft_ms: number | null;
  cache_hit: boolean;
  confidence: number | null;
  route_trace: string | null;
  feedback_rating: number | null;
  feedback_comment: string | null;
}

/** A `ledger_attempts` row; every column is stored as is by both backends. */
export interface AttemptColumns {
  request_id: string;
  attempt: number;
  model: string;
  provider: string;
  deployment: string;
  status: AttemptRecord['status'];
  error_code: string | null;
  http_status: number | null;
  latency_ms: number;
  input_tokens: number;
  output_tokens: number;
  cost_nanos: number;
}

/** The `ledger` column names, in table order. */
export const LEDGER_COLUMNS = Object.keys({
  request_id: 0,
  timestamp: 0,
  endpoint: 0,
  key_id: 0,
  project: 0,
  user_id: 0,
  tags: 0,
  route: 0,
  strategy: 0,
  model: 0,
  provider: 0,
  deployment: 0,
  status: 0,
  error_code: 0,
  http_status: 0,
  stream: 0,
  input_tokens: 0,
  output_tokens: 0,
  cached_input_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  usage_estimated: 0,
  cost_nanos: 0,
  latency_ms: 0,
  ttft_ms: 0,
  cache_hit: 0,
  confidence: 0,
  route_trace: 0,
  feedback_rating: 0,
  feedback_comment: 0,
} satisfies Record<keyof LedgerColumns, 0>) as ReadonlyArray<keyof LedgerColumns>;

/** The `ledger_attempts` column names, in table order. */
export const ATTEMPT_COLUMNS = Object.keys({
  request_id: 0,
  attempt: 0,
  model: 0,
  provider: 0,
  deployment: 0,
  status: 0,
  error_code: 0,
  http_status: 0,
  latency_ms: 0,
  input_tokens: 0,
  output_tokens: 0,
  cost_nanos: 0,
} satisfies Record<keyof AttemptColumns, 0>) as ReadonlyArray<keyof AttemptColumns>;

/** The ledger row for a record (its attempts are rows of their own: see `columnsFromAttempt`). */
export function columnsFromRecord(r: LedgerRecord): LedgerColumns {
  return {
    request_id: r.requestId,
    timestamp: r.timestamp,
    endpoint: r.endpoint,
    key_id: r.keyId ?? null,
    project: r.project ?? null,
    user_id: r.user ?? null,
    tags: r.tags ?? null,
    route: r.route ?? null,
    strategy: r.strategy,
    model: r.model ?? null,
    provider: r.provider ?? null,
    deployment: r.deployment ?? null,
    status: r.status,
    error_code: r.errorCode ?? null,
    http_status: r.httpStatus,
    stream: r.stream,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cached_input_tokens: r.cachedInputTokens,
    cache_write_tokens: r.cacheWriteTokens,
    reasoning_tokens: r.reasoningTokens,
    usage_estimated: r.usageEstimated,
    cost_nanos: r.costNanos,
    latency_ms: r.latencyMs,
    ttft_ms: r.ttftMs ?? null,
    cache_hit: r.cacheHit,
    confidence: r.confidence ?? null,
    route_trace: r.routeTrace ?? null,
    feedback_rating: r.feedback?.rating ?? null,
    feedback_comment: r.feedback?.comment ?? null,
  };
}

/** The attempts row for one attempt of the request `requestId`. */
export function columnsFromAttempt(requestId: string, a: AttemptRecord): AttemptColumns {
  return {
    request_id: requestId,
    attempt: a.attempt,
    model: a.model,
    provider: a.provider,
    deployment: a.deployment,
    status: a.status,
    error_code: a.errorCode ?? null,
    http_status: a.httpStatus ?? null,
    latency_ms: a.latencyMs,
    input_tokens: a.inputTokens,
    output_tokens: a.outputTokens,
    cost_nanos: a.costNanos,
  };
}

/** The record a ledger row and its attempt rows hold; takes ownership of the row's `tags`. */
export function recordFromColumns(row: LedgerColumns, attempts: readonly AttemptColumns[]): LedgerRecord {
  const record: LedgerRecord = {
    requestId: row.request_id,
    timestamp: row.timestamp,
    endpoint: row.endpoint,
    strategy: row.strategy,
    status: row.status,
    httpStatus: row.http_status,
    stream: row.stream,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cachedInputTokens: row.cached_input_tokens,
    cacheWriteTokens: row.cache_write_tokens,
    reasoningTokens: row.reasoning_tokens,
    usageEstimated: row.usage_estimated,
    costNanos: row.cost_nanos,
    latencyMs: row.latency_ms,
    cacheHit: row.cache_hit,
    attempts: attempts.map(attemptFromColumns),
  };
  if (row.key_id !== null) record.keyId = row.key_id;
  if (row.project !== null) record.project = row.project;
  if (row.user_id !== null) record.user = row.user_id;
  if (row.tags !== null) record.tags = row.tags;
  if (row.route !== null) record.route = row.route;
  if (row.model !== null) record.model = row.model;
  if (row.provider !== null) record.provider = row.provider;
  if (row.deployment !== null) record.deployment = row.deployment;
  if (row.error_code !== null) record.errorCode = row.error_code;
  if (row.ttft_ms !== null) record.ttftMs = row.ttft_ms;
  if (row.confidence !== null) record.confidence = row.confidence;
  if (row.route_trace !== null) record.routeTrace = row.route_trace;
  if (row.feedback_rating !== null) {
    record.feedback =
      row.feedback_comment === null
        ? { rating: row.feedback_rating }
        : { rating: row.feedback_rating, comment: row.feedback_comment };
  }
  return record;
}

function attemptFromColumns(row: AttemptColumns): AttemptRecord {
  const attempt: AttemptRecord = {
    attempt: row.attempt,
    model: row.model,
    provider: row.provider,
    deployment: row.deployment,
    status: row.status,
    latencyMs: row.latency_ms,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costNanos: row.cost_nanos,
  };
  if (row.error_code !== null) attempt.errorCode = row.error_code;
  if (row.http_status !== null) attempt.httpStatus = row.http_status;
  return attempt;
}

/** The tags a decoded JSON value holds: each element as a string, anything but an array as none. */
export function tagsFrom(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
