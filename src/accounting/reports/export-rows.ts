/**
 * @module accounting/reports/export-rows
 * `costs export` and `GET /admin/usage/export`: one row per request, in documented columns, as
 * RFC 4180 CSV or as a JSON array. Records are encoded as they come from `Ledger.scan` and
 * handed out a few hundred at a time, so a million-row export holds one page in memory and the
 * writer's backpressure paces the reading.
 */

import type { Ledger, LedgerQuery, LedgerRecord } from '../../storage/ports.js';
import { type CsvValue, csvRecord } from './csv.js';
import { formatUsdExact } from './money.js';

/** The export's columns, in order; the CSV header and the JSON keys. */
export const EXPORT_COLUMNS = [
  'request_id',
  'timestamp',
  'endpoint',
  'key_id',
  'project',
  'user',
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
  'cost_usd',
  'latency_ms',
  'ttft_ms',
  'cache_hit',
  'confidence',
  'attempts',
  'feedback_rating',
] as const;

export type ExportColumn = (typeof EXPORT_COLUMNS)[number];
export type ExportFormat = 'csv' | 'json';

/**
 * One request as export values, in column order. Absent values are null; `timestamp` is ISO 8601
 * (UTC); `cost_usd` is the exact decimal of the integer nano-dollars, as a string so that no
 * reader turns it into a float; `attempts` is how many upstream calls were made.
 */
export function exportValues(record: LedgerRecord): (string | number | boolean | string[] | null)[] {
  return [
    record.requestId,
    new Date(record.timestamp).toISOString(),
    record.endpoint,
    record.keyId ?? null,
    record.project ?? null,
    record.user ?? null,
    record.tags ?? [],
    record.route ?? null,
    record.strategy,
    record.model ?? null,
    record.provider ?? null,
    record.deployment ?? null,
    record.status,
    record.errorCode ?? null,
    record.httpStatus,
    record.stream,
    record.inputTokens,
    record.outputTokens,
    record.cachedInputTokens,
    record.cacheWriteTokens,
    record.reasoningTokens,
    record.usageEstimated,
    formatUsdExact(record.costNanos),
    record.latencyMs,
    record.ttftMs ?? null,
    record.cacheHit,
    record.confidence ?? null,
    record.attempts.length,
    record.feedback?.rating ?? null,
  ];
}

/** The CSV line of a request; tags are joined with `;`. */
export function exportCsvLine(record: LedgerRecord): string {
  const values = exportValues(record);
  const fields: CsvValue[] = values.map((value) => (Array.isArray(value) ? value.join(';') : value));
  return csvRecord(fields);
}

/** The JSON object of a request, keyed by column; tags stay an array. */
export function exportJsonObject(record: LedgerRecord): Record<ExportColumn, unknown> {
  const values = exportValues(record);
  const out = {} as Record<ExportColumn, unknown>;
  EXPORT_COLUMNS.forEach((column, i) => {
    out[column] = values[i];
  });
  return out;
}

/**
 * The records to export, oldest first: through `Ledger.scan` where the backend pages, otherwise
 * from `query` (which holds them all). With `tag`, only requests carrying it.
 */
export async function* scanLedger(
  ledger: Ledger,
  query: LedgerQuery,
  tag?: string,
): AsyncGenerator<LedgerRecord> {
  const records = ledger.scan?.(query) ?? (await ledger.query(query)).reverse();
  for await (const record of records) {
    if (tag === undefined || (record.tags ?? []).includes(tag)) yield record;
  }
}

/** Records per chunk handed to the writer: few write calls, little held at once. */
const CHUNK_RECORDS = 256;

/**
 * Encodes records as text chunks: the CSV header then its lines, or a JSON array with one
 * object per line. `onRecord` is called per record (for a progress bar).
 */
export async function* encodeExport(
  records: AsyncIterable<LedgerRecord>,
  format: ExportFormat,
  onRecord?: () => void,
): AsyncGenerator<string> {
  let chunk = format === 'csv' ? csvRecord(EXPORT_COLUMNS) : '[';
  let inChunk = 0;
  let first = true;
  for await (const record of records) {
    if (format === 'csv') chunk += exportCsvLine(record);
    else {
      chunk += `${first ? '\n' : ',\n'}${JSON.stringify(exportJsonObject(record))}`;
      first = false;
    }
    onRecord?.();
    if (++inChunk >= CHUNK_RECORDS) {
      yield chunk;
      chunk = '';
      inChunk = 0;
    }
  }
  if (format === 'json') chunk += first ? ']\n' : '\n]\n';
  if (chunk !== '') yield chunk;
}
