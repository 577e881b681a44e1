/**
 * @module http/routes/admin-usage
 * The ledger, summed, for operators: `GET /admin/usage` (usage rows per period and dimension,
 * JSON or CSV), `GET /admin/usage/report` (the cost report: spend per period, breakdown,
 * month-end forecast, optimizer advice) and `GET /admin/usage/export` (one row per request,
 * CSV or JSON, streamed). `switchyard costs … --url` reads these. Query parameters: `period`
 * (daily|weekly|monthly|none), `by` (comma list), `since`, `until`, `model`, `key`, `project`,
 * `tag`, `p95`, `format` (json|csv), `top`.
 */

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ExportFormat, encodeExport, scanLedger } from '../../accounting/reports/export-rows.js';
import { parseDimensions, parsePeriod, parseTimeBound } from '../../accounting/reports/report-options.js';
import {
  buildCostReport,
  buildUsageDocument,
  type UsageFilters,
  type UsageRequest,
  usageCsv,
} from '../../accounting/reports/usage-report.js';
import { invalidRequest } from '../../core/errors.js';
import type { UsageDimension } from '../../storage/ports.js';
import type { HttpContext } from '../context.js';
import { sendJson, sendText } from '../respond.js';

const CSV_TYPE = 'text/csv; charset=utf-8';

/** Runs a parser, turning its RangeError into a 400 that names the parameter. */
function parameter<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof RangeError) throw invalidRequest(error.message, field);
    throw error;
  }
}

function filtersFrom(query: URLSearchParams, now: number): UsageFilters {
  const filters: UsageFilters = {};
  const since = query.get('since');
  const until = query.get('until');
  if (since) filters.since = parameter('since', () => parseTimeBound(since, 'since', now));
  if (until) filters.until = parameter('until', () => parseTimeBound(until, 'until', now));
  const model = query.get('model');
  const key = query.get('key') ?? query.get('key_id');
  const project = query.get('project');
  const tag = query.get('tag');
  if (model) filters.model = model;
  if (key) filters.keyId = key;
  if (project) filters.project = project;
  if (tag) filters.tag = tag;
  return filters;
}

function usageRequestFrom(
  query: URLSearchParams,
  now: number,
  defaultPeriod: 'daily' | 'monthly',
): UsageRequest {
  const periodText = query.get('period') ?? defaultPeriod;
  const period = parameter('period', () => parsePeriod(periodText));
  const byText = query.get('by');
  const by: UsageDimension[] = byText ? parameter('by', () => parseDimensions(byText)) : [];
  const p95 = query.get('p95');
  return {
    filters: filtersFrom(query, now),
    ...(period === undefined ? {} : { period }),
    by,
    p95: p95 === 'true' || p95 === '1',
  };
}

function formatFrom(query: URLSearchParams): ExportFormat {
  const format = query.get('format') ?? 'json';
  if (format !== 'json' && format !== 'csv') throw invalidRequest('format: expected json or csv', 'format');
  return format;
}

export async function usage(http: HttpContext): Promise<void> {
  const now = Date.now();
  const format = formatFrom(http.query);
  const document = await buildUsageDocument(
    http.gateway.ledger,
    usageRequestFrom(http.query, now, 'daily'),
    now,
  );
  if (format === 'csv') sendText(http.res, 200, usageCsv(document), CSV_TYPE);
  else sendJson(http.res, 200, document);
}

export async function usageReport(http: HttpContext): Promise<void> {
  const now = Date.now();
  const topText = http.query.get('top');
  const top = topText === null ? 5 : Number(topText);
  if (!Number.isInteger(top) || top < 0 || top > 100) throw invalidRequest('top: expected 0 to 100', 'top');
  const request = usageRequestFrom(http.query, now, 'monthly');
  const report = await buildCostReport(
    http.gateway.ledger,
    http.gateway.registry.models,
    { ...request, top },
    now,
  );
  sendJson(http.res, 200, report);
}

export async function usageExport(http: HttpContext): Promise<void> {
  const format = formatFrom(http.query);
  const { tag, ...filters } = filtersFrom(http.query, Date.now());
  const records = scanLedger(http.gateway.ledger, filters, tag);
  http.res.writeHead(200, {
    'content-type': format === 'csv' ? CSV_TYPE : 'application/json',
    'content-disposition': `attachment; filename="switchyard-requests.${format}"`,
  });
  try {
    await pipeline(Readable.from(encodeExport(records, format)), http.res);
  } catch (error) {
    // A client that hangs up mid-export is not a server fault.
    if (http.signal.aborted) return;
    throw error;
  }
}
