/**
 * @module storage/postgres/pg-rows
 * The mapping between LedgerRecord and the PostgreSQL `ledger` / `ledger_attempts` rows, and the
 * one statement that writes a batch. A batch travels as one array per column and is expanded by
 * `unnest`, so the statement has a fixed 42 parameters whatever the batch size (a VALUES list
 * would hit the 65,535-parameter limit at a few thousand records, and would be a different
 * statement for every batch size). The ledger rows are inserted `ON CONFLICT DO NOTHING`; the
 * attempts are inserted only for the ledger rows that statement actually created, so that a
 * duplicate request id — a replayed batch, or the same request from another replica — adds
 * nothing at all, not even stray attempts.
 */

import type { AttemptRecord, LedgerRecord } from '../ports.js';

/** A `ledger` row as node-postgres returns it (BIGINT parsed to number, JSONB parsed). */
export interface PgLedgerRow {
  request_id: string;
  timestamp: number;
  endpoint: string;
  key_id: string | null;
  project: string | null;
  user_id: string | null;
  tags: unknown;
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

export interface PgAttemptRow {
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

type Column<T> = readonly [name: string, type: string, value: (item: T) => unknown];

const LEDGER_COLUMNS: readonly Column<LedgerRecord>[] = [
  ['request_id', 'text', (r) => r.requestId],
  ['timestamp', 'int8', (r) => r.timestamp],
  ['endpoint', 'text', (r) => r.endpoint],
  ['key_id', 'text', (r) => r.keyId ?? null],
  ['project', 'text', (r) => r.project ?? null],
  ['user_id', 'text', (r) => r.user ?? null],
  // Sent as text and cast in SQL: node-postgres would otherwise write a JS array as a PG array.
  ['tags', 'text', (r) => (r.tags === undefined ? null : JSON.stringify(r.tags))],
  ['route', 'text', (r) => r.route ?? null],
  ['strategy', 'text', (r) => r.strategy],
  ['model', 'text', (r) => r.model ?? null],
  ['provider', 'text', (r) => r.provider ?? null],
  ['deployment', 'text', (r) => r.deployment ?? null],
  ['status', 'text', (r) => r.status],
  ['error_code', 'text', (r) => r.errorCode ?? null],
  ['http_status', 'int4', (r) => r.httpStatus],
  ['stream', 'bool', (r) => r.stream],
  ['input_tokens', 'int8', (r) => r.inputTokens],
  ['output_tokens', 'int8', (r) => r.outputTokens],
  ['cached_input_tokens', 'int8', (r) => r.cachedInputTokens],
  ['cache_write_tokens', 'int8', (r) => r.cacheWriteTokens],
  ['reasoning_tokens', 'int8', (r) => r.reasoningTokens],
  ['usage_estimated', 'bool', (r) => r.usageEstimated],
  ['cost_nanos', 'int8', (r) => r.costNanos],
  ['latency_ms', 'float8', (r) => r.latencyMs],
  ['ttft_ms', 'float8', (r) => r.ttftMs ?? null],
  ['cache_hit', 'bool', (r) => r.cacheHit],
  ['confidence', 'float8', (r) => r.confidence ?? null],
  ['route_trace', 'text', (r) => r.routeTrace ?? null],
  ['feedback_rating', 'float8', (r) => r.feedback?.rating ?? null],
  ['feedback_comment', 'text', (r) => r.feedback?.comment ?? null],
];

interface AttemptOf {
  requestId: string;
  attempt: AttemptRecord;
}

const ATTEMPT_COLUMNS: readonly Column<AttemptOf>[] = [
  ['request_id', 'text', (a) => a.requestId],
  ['attempt', 'int4', (a) => a.attempt.attempt],
  ['model', 'text', (a) => a.attempt.model],
  ['provider', 'text', (a) => a.attempt.provider],
  ['deployment', 'text', (a) => a.attempt.deployment],
  ['status', 'text', (a) => a.attempt.status],
  ['error_code', 'text', (a) => a.attempt.errorCode ?? null],
  ['http_status', 'int4', (a) => a.attempt.httpStatus ?? null],
  ['latency_ms', 'float8', (a) => a.attempt.latencyMs],
  ['input_tokens', 'int8', (a) => a.attempt.inputTokens],
  ['output_tokens', 'int8', (a) => a.attempt.outputTokens],
  ['cost_nanos', 'int8', (a) => a.attempt.costNanos],
];

/** The batch insert, for tables in the (already quoted) schema. */
export function insertBatchSql(quotedSchema: string): string {
  const names = (columns: readonly Column<never>[]) => columns.map(([name]) => name).join(', ');
  const arrays = (columns: readonly Column<never>[], first: number) =>
    columns.map(([, type], i) => `$${first + i}::${type}[]`).join(', ');
  const ledgerSelect = LEDGER_COLUMNS.map(([name]) => (name === 'tags' ? 'tags::jsonb' : name)).join(', ');
  return (
    `WITH inserted AS (INSERT INTO ${quotedSchema}.ledger (${names(LEDGER_COLUMNS)}) ` +
    `SELECT ${ledgerSelect} FROM unnest(${arrays(LEDGER_COLUMNS, 1)}) AS r(${names(LEDGER_COLUMNS)}) ` +
    'ON CONFLICT (request_id) DO NOTHING RETURNING request_id) ' +
    `INSERT INTO ${quotedSchema}.ledger_attempts (${names(ATTEMPT_COLUMNS)}) ` +
    `SELECT a.* FROM unnest(${arrays(ATTEMPT_COLUMNS, LEDGER_COLUMNS.length + 1)}) AS a(${names(ATTEMPT_COLUMNS)}) ` +
    'WHERE a.request_id IN (SELECT request_id FROM inserted) ' +
    'ON CONFLICT (request_id, attempt) DO NOTHING'
  );
}

/**
 * The statement's parameters for a batch: one array per ledger column, then one per attempt
 * column. The batch must not hold the same request id twice (the ledger makes sure).
 */
export function insertBatchParams(records: readonly LedgerRecord[]): unknown[][] {
  const ledger = LEDGER_COLUMNS.map(() => new Array<unknown>(records.length));
  const attempts: unknown[][] = ATTEMPT_COLUMNS.map(() => []);
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as LedgerRecord;
    for (let c = 0; c < LEDGER_COLUMNS.length; c++) {
      (ledger[c] as unknown[])[i] = (LEDGER_COLUMNS[c] as Column<LedgerRecord>)[2](record);
    }
    for (const attempt of record.attempts) {
      const item = { requestId: record.requestId, attempt };
      for (let c = 0; c < ATTEMPT_COLUMNS.length; c++) {
        (attempts[c] as unknown[]).push((ATTEMPT_COLUMNS[c] as Column<AttemptOf>)[2](item));
      }
    }
  }
  return [...ledger, ...attempts];
}

export function toRecord(row: PgLedgerRow, attempts: readonly PgAttemptRow[]): LedgerRecord {
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
    attempts: attempts.map(toAttempt),
  };
  if (row.key_id !== null) record.keyId = row.key_id;
  if (row.project !== null) record.project = row.project;
  if (row.user_id !== null) record.user = row.user_id;
  if (row.tags !== null) record.tags = Array.isArray(row.tags) ? row.tags.map(String) : [];
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

function toAttempt(row: PgAttemptRow): AttemptRecord {
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

/** Groups attempt rows (ordered by request id, attempt) by request id. */
export function attemptsById(rows: readonly PgAttemptRow[]): Map<string, PgAttemptRow[]> {
  const byId = new Map<string, PgAttemptRow[]>();
  for (const row of rows) {
    const list = byId.get(row.request_id);
    if (list === undefined) byId.set(row.request_id, [row]);
    else list.push(row);
  }
  return byId;
}
