/**
 * @module storage/sqlite/ledger-rows
 * The mapping between LedgerRecord and the `ledger` / `ledger_attempts` rows: one column per
 * field, booleans as 0/1, tags as JSON text, absent optional fields as NULL (and NULL back to
 * absent, so a record read back equals the record written). Rows travel to the writer thread as
 * plain arrays of primitives, which is what makes handing a batch over cheap.
 */

import type { AttemptRecord, LedgerRecord } from '../ports.js';

export interface LedgerRow {
  request_id: string;
  timestamp: number;
  endpoint: string;
  key_id: string | null;
  project: string | null;
  user_id: string | null;
  tags: string | null;
  route: string | null;
  strategy: string;
  model: string | null;
  provider: string | null;
  deployment: string | null;
  status: LedgerRecord['status'];
  error_code: string | null;
  http_status: number;
  stream: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  usage_estimated: number;
  cost_nanos: number;
  latency_ms: number;
  ttft_ms: number | null;
  cache_hit: number;
  confidence: number | null;
  route_trace: string | null;
  feedback_rating: number | null;
  feedback_comment: string | null;
}

export interface AttemptRow {
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

export type SqlValue = string | number | null;
/** One record as the writer inserts it: the ledger row, then its attempt rows. */
export type RecordRows = [ledger: SqlValue[], attempts: SqlValue[][]];

const LEDGER_COLUMNS = [
  'request_id',
  'timestamp',
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
  'http_status',
  'stream',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'usage_estimated',
  'cost_nanos',
  'latency_ms',
  'ttft_ms',
  'cache_hit',
  'confidence',
  'route_trace',
  'feedback_rating',
  'feedback_comment',
] as const;

const ATTEMPT_COLUMNS = [
  'request_id',
  'attempt',
  'model',
  'provider',
  'deployment',
  'status',
  'error_code',
  'http_status',
  'latency_ms',
  'input_tokens',
  'output_tokens',
  'cost_nanos',
] as const;

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

export const INSERT_LEDGER_SQL = `INSERT OR IGNORE INTO ledger (${LEDGER_COLUMNS.join(', ')}) VALUES (${placeholders(LEDGER_COLUMNS.length)})`;
export const INSERT_ATTEMPT_SQL = `INSERT OR IGNORE INTO ledger_attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${placeholders(ATTEMPT_COLUMNS.length)})`;
export const UPDATE_FEEDBACK_SQL =
  'UPDATE ledger SET feedback_rating = ?, feedback_comment = ? WHERE request_id = ?';

export function toRows(r: LedgerRecord): RecordRows {
  const ledger: SqlValue[] = [
    r.requestId,
    r.timestamp,
    r.endpoint,
    r.keyId ?? null,
    r.project ?? null,
    r.user ?? null,
    r.tags === undefined ? null : JSON.stringify(r.tags),
    r.route ?? null,
    r.strategy,
    r.model ?? null,
    r.provider ?? null,
    r.deployment ?? null,
    r.status,
    r.errorCode ?? null,
    r.httpStatus,
    r.stream ? 1 : 0,
    r.inputTokens,
    r.outputTokens,
    r.cachedInputTokens,
    r.cacheWriteTokens,
    r.reasoningTokens,
    r.usageEstimated ? 1 : 0,
    r.costNanos,
    r.latencyMs,
    r.ttftMs ?? null,
    r.cacheHit ? 1 : 0,
    r.confidence ?? null,
    r.routeTrace ?? null,
    r.feedback?.rating ?? null,
    r.feedback?.comment ?? null,
  ];
  const attempts = r.attempts.map((a): SqlValue[] => [
    r.requestId,
    a.attempt,
    a.model,
    a.provider,
    a.deployment,
    a.status,
    a.errorCode ?? null,
    a.httpStatus ?? null,
    a.latencyMs,
    a.inputTokens,
    a.outputTokens,
    a.costNanos,
  ]);
  return [ledger, attempts];
}

export function toRecord(row: LedgerRow, attempts: readonly AttemptRow[]): LedgerRecord {
  const record: LedgerRecord = {
    requestId: row.request_id,
    timestamp: row.timestamp,
    endpoint: row.endpoint,
    strategy: row.strategy,
    status: row.status,
    httpStatus: row.http_status,
    stream: row.stream === 1,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cachedInputTokens: row.cached_input_tokens,
    cacheWriteTokens: row.cache_write_tokens,
    reasoningTokens: row.reasoning_tokens,
    usageEstimated: row.usage_estimated === 1,
    costNanos: row.cost_nanos,
    latencyMs: row.latency_ms,
    cacheHit: row.cache_hit === 1,
    attempts: attempts.map(toAttempt),
  };
  if (row.key_id !== null) record.keyId = row.key_id;
  if (row.project !== null) record.project = row.project;
  if (row.user_id !== null) record.user = row.user_id;
  if (row.tags !== null) record.tags = parseTags(row.tags);
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

function toAttempt(row: AttemptRow): AttemptRecord {
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

function parseTags(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.map(String) : [];
}
