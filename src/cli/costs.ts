/**
 * @module cli/costs
 * `switchyard costs stats|report|export`: what the gateway spent, from its ledger. By default
 * the CLI opens the SQLite ledger that `storage.url` names, read-only (a running gateway keeps
 * writing meanwhile); with `--url` it asks a running gateway's `/admin/usage` endpoints instead.
 * Both give the same documents, so one renderer prints them: tables, a bar chart of spend per
 * period, the month-end forecast and the cost-optimizer's advice. Exports stream to the file (or
 * stdout) without holding the ledger in memory, with a progress bar when stderr is a terminal.
 */

import { createWriteStream, existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { createPriceCatalogue } from '../accounting/price-catalogue.js';
import { type Bar, renderBarChart } from '../accounting/reports/bar-chart.js';
import { type ExportFormat, encodeExport, scanLedger } from '../accounting/reports/export-rows.js';
import { formatSpend } from '../accounting/reports/money.js';
import { parseDimensions, parsePeriod, parseTimeBound } from '../accounting/reports/report-options.js';
import {
  aggregateUsage,
  buildCostReport,
  buildUsageDocument,
  type CostReport,
  type CostReportRequest,
  type UsageDocument,
  type UsageFilters,
  type UsageRequest,
  type UsageRowJson,
  usageCsv,
} from '../accounting/reports/usage-report.js';
import { clientApiKey } from '../config/source.js';
import { adapterFor, defaultBaseUrl } from '../providers/index.js';
import { createRegistry, type ModelEntry } from '../registry/registry.js';
import type { Ledger } from '../storage/ports.js';
import { createSqliteLedger } from '../storage/sqlite/sqlite-ledger.js';
import { fail, loadOrExit } from './load.js';
import { renderTable } from './table.js';

export interface CostsOptions {
  config?: string;
  url?: string;
  apiKey?: string;
  json?: boolean;
  period?: string;
  since?: string;
  until?: string;
  model?: string;
  key?: string;
  project?: string;
  tag?: string;
  by?: string;
  top?: string;
  p95?: boolean;
  format?: string;
  output?: string;
}

/** Where the numbers come from: the local ledger, or a running gateway. */
interface UsageSource {
  usage(request: UsageRequest): Promise<UsageDocument>;
  report(request: CostReportRequest): Promise<CostReport>;
  /** Streams the export into `destination`; resolves to the number of requests, when known. */
  export(format: ExportFormat, filters: UsageFilters, destination: Writable): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Parses flags, turning a RangeError into a one-line error and exit code 1. */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof RangeError) fail(error.message);
    throw error;
  }
}

function filtersFrom(options: CostsOptions, now: number): UsageFilters {
  const filters: UsageFilters = {};
  const { since, until } = options;
  if (since !== undefined) filters.since = parsed(() => parseTimeBound(since, 'since', now, '--since'));
  if (until !== undefined) filters.until = parsed(() => parseTimeBound(until, 'until', now, '--until'));
  if (options.model !== undefined) filters.model = options.model;
  if (options.key !== undefined) filters.keyId = options.key;
  if (options.project !== undefined) filters.project = options.project;
  if (options.tag !== undefined) filters.tag = options.tag;
  return filters;
}

function usageRequestFrom(options: CostsOptions, now: number, defaultPeriod: string): UsageRequest {
  const periodText = options.period ?? defaultPeriod;
  const period = parsed(() => parsePeriod(periodText, '--period'));
  const byText = options.by;
  return {
    filters: filtersFrom(options, now),
    ...(period === undefined ? {} : { period }),
    by: byText === undefined ? [] : parsed(() => parseDimensions(byText, '--by')),
    p95: options.p95 !== false,
  };
}

// ---- local ledger ---------------------------------------------------------------------------

function openLocal(options: CostsOptions): UsageSource {
  const source = loadOrExit(options.config);
  const url = source.config.storage.url;
  if (!url.startsWith('sqlite://')) {
    fail(
      `storage.url is ${url}: there is no ledger file to read`,
      'Ask the running gateway instead: switchyard costs … --url http://HOST:PORT',
    );
  }
  const path = url.slice('sqlite://'.length) || './switchyard.db';
  if (!existsSync(path)) {
    fail(
      `no ledger at ${path} (storage.url in ${source.source})`,
      'It appears once the gateway has served a request; or ask a running gateway with --url.',
    );
  }
  let ledger: Ledger;
  try {
    ledger = createSqliteLedger({ path, readonly: true });
  } catch (error) {
    fail(`cannot read the ledger at ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let models: ReadonlyMap<string, ModelEntry> | undefined;
  const registryModels = () => {
    if (models === undefined) {
      const catalogue = createPriceCatalogue();
      models = createRegistry(source.config, {
        adapterFor,
        defaultBaseUrl,
        // Advice needs tiers and prices only; no simulator has to run.
        simulatorUrl: () => 'http://127.0.0.1:0/v1',
        lookupPrices: (model) => catalogue.lookup(model),
      }).registry.models;
    }
    return models;
  };
  return {
    usage: (request) => buildUsageDocument(ledger, request),
    report: (request) => buildCostReport(ledger, registryModels(), request),
    async export(format, { tag, ...filters }, destination) {
      const progress = process.stderr.isTTY ? await startProgress(ledger, { ...filters, tag }) : undefined;
      let count = 0;
      const chunks = encodeExport(scanLedger(ledger, filters, tag), format, () => {
        count++;
        progress?.tick(count);
      });
      await pipeline(Readable.from(chunks), destination);
      progress?.done(count);
      return count;
    },
    close: () => ledger.close(),
  };
}

/** A progress bar on stderr; the total is one aggregate query, cheap next to the export. */
async function startProgress(ledger: Ledger, filters: UsageFilters) {
  const [all] = await aggregateUsage(ledger, filters);
  const total = all?.requests ?? 0;
  const started = Date.now();
  let shownAt = 0;
  const draw = (count: number) => {
    const share = total === 0 ? 1 : Math.min(1, count / total);
    const filled = Math.round(share * 30);
    process.stderr.write(
      `\rexporting [${'#'.repeat(filled)}${'-'.repeat(30 - filled)}] ${Math.floor(share * 100)}% ` +
        `${count.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`,
    );
  };
  return {
    tick(count: number) {
      if ((count & 1023) !== 0) return;
      const now = Date.now();
      if (now - shownAt < 100) return;
      shownAt = now;
      draw(count);
    },
    done(count: number) {
      draw(count);
      process.stderr.write(` in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    },
  };
}

// ---- running gateway ------------------------------------------------------------------------

/** The request as query parameters; `periodic` documents always say their period, `none` included. */
function queryString(
  request: Partial<CostReportRequest> & { filters: UsageFilters },
  periodic: boolean,
  extra: Record<string, string> = {},
): string {
  const { filters } = request;
  const params = new URLSearchParams();
  if (periodic) params.set('period', request.period ?? 'none');
  if (request.by !== undefined && request.by.length > 0) params.set('by', request.by.join(','));
  if (filters.since !== undefined) params.set('since', new Date(filters.since).toISOString());
  if (filters.until !== undefined) params.set('until', new Date(filters.until).toISOString());
  if (filters.model !== undefined) params.set('model', filters.model);
  if (filters.keyId !== undefined) params.set('key', filters.keyId);
  if (filters.project !== undefined) params.set('project', filters.project);
  if (filters.tag !== undefined) params.set('tag', filters.tag);
  if (request.p95) params.set('p95', 'true');
  if (request.top !== undefined) params.set('top', String(request.top));
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return params.toString();
}

function openRemote(url: string, apiKey: string | undefined): UsageSource {
  const base = url.replace(/\/+$/, '');
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  async function get(path: string) {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(`${base}${path}`, { headers });
    } catch (error) {
      fail(`cannot reach ${base}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (response.statusCode >= 400) {
      const payload = (await response.body.json().catch(() => ({}))) as {
        error?: { code?: string; message?: string };
      };
      fail(`${payload.error?.code ?? response.statusCode}: ${payload.error?.message ?? 'request failed'}`);
    }
    return response;
  }
  return {
    usage: async (request) =>
      (await (await get(`/admin/usage?${queryString(request, true)}`)).body.json()) as UsageDocument,
    report: async (request) =>
      (await (await get(`/admin/usage/report?${queryString(request, true)}`)).body.json()) as CostReport,
    async export(format, filters, destination) {
      const response = await get(`/admin/usage/export?${queryString({ filters }, false, { format })}`);
      await pipeline(response.body, destination);
      return undefined;
    },
    async close() {},
  };
}

function openSource(options: CostsOptions): UsageSource {
  return options.url === undefined
    ? openLocal(options)
    : openRemote(options.url, options.apiKey ?? clientApiKey());
}

// ---- rendering ------------------------------------------------------------------------------

const integer = (n: number) => n.toLocaleString('en-US');

function periodLabel(row: UsageRowJson, period: UsageDocument['period']): string {
  const start = row.period_start ?? '';
  if (period === 'monthly') return start.slice(0, 7);
  if (period === 'weekly') return `week of ${start}`;
  return start;
}

function rangeText(doc: Pick<UsageDocument, 'since' | 'until' | 'filters'>): string {
  const parts = [
    doc.since === null && doc.until === null
      ? 'all time'
      : `${doc.since ?? 'the beginning'} to ${doc.until ?? 'now'} (until exclusive)`,
  ];
  for (const [name, value] of Object.entries(doc.filters)) parts.push(`${name} ${value}`);
  return parts.join(', ');
}

function latency(row: UsageRowJson): string {
  return row.avg_latency_ms === null ? '-' : integer(Math.round(row.avg_latency_ms));
}

function renderStats(doc: UsageDocument): string {
  const p95 = doc.rows.some((row) => row.p95_latency_ms !== undefined);
  const headers = [
    ...(doc.period === null ? [] : ['period']),
    ...doc.by,
    'requests',
    'errors',
    'input tok',
    'output tok',
    'cost',
    'avg ms',
    ...(p95 ? ['p95 ms'] : []),
  ];
  const line = (row: UsageRowJson, label?: string) => [
    ...(doc.period === null ? [] : [label ?? periodLabel(row, doc.period)]),
    ...doc.by.map((dimension) => row[dimension] ?? '(none)'),
    integer(row.requests),
    integer(row.errors),
    integer(row.input_tokens),
    integer(row.output_tokens),
    formatSpend(row.cost_nanos),
    latency(row),
    ...(p95 ? [row.p95_latency_ms == null ? '-' : integer(Math.round(row.p95_latency_ms))] : []),
  ];
  const rows = doc.rows.map((row) => line(row));
  const title = `Usage${doc.period === null ? '' : ` ${doc.period}`}${doc.by.length > 0 ? ` by ${doc.by.join(', ')}` : ''}, ${rangeText(doc)}`;
  if (rows.length === 0) return `${title}\n\nNo requests recorded in this range.\n`;
  const total = doc.totals;
  return (
    `${title}\n\n${renderTable(headers, rows)}\n\n` +
    `total: ${integer(total.requests)} requests, ${integer(total.errors)} errors, ` +
    `${integer(total.input_tokens)} input / ${integer(total.output_tokens)} output tokens, ` +
    `${formatSpend(total.cost_nanos)}\n`
  );
}

function renderReport(report: CostReport): string {
  const out: string[] = [`Cost report, ${rangeText(report)}`, ''];
  const total = report.totals;
  if (report.periods.length === 0) {
    out.push('No requests recorded in this range.', '');
  } else {
    const bars: Bar[] = report.periods.map((row) => ({
      label: periodLabel(row, report.period),
      value: row.cost_nanos,
      text: `${formatSpend(row.cost_nanos)}  (${integer(row.requests)} requests)`,
    }));
    const unit = { daily: 'day', weekly: 'week', monthly: 'month' }[report.period ?? 'monthly'];
    out.push(`Spend per ${unit}`, renderBarChart(bars), '');
    const headers = [...report.by, 'requests', 'errors', 'input tok', 'output tok', 'cost', 'share'];
    const rows = report.breakdown.map((row) => [
      ...report.by.map((dimension) => row[dimension] ?? '(none)'),
      integer(row.requests),
      integer(row.errors),
      integer(row.input_tokens),
      integer(row.output_tokens),
      formatSpend(row.cost_nanos),
      total.cost_nanos === 0 ? '-' : `${((row.cost_nanos / total.cost_nanos) * 100).toFixed(1)}%`,
    ]);
    out.push(`By ${report.by.join(', ')}`, renderTable(headers, rows), '');
    out.push(
      `Total: ${integer(total.requests)} requests, ${integer(total.errors)} errors, ${formatSpend(total.cost_nanos)}`,
      '',
    );
  }

  const f = report.forecast;
  const band =
    f.low_nanos === null || f.high_nanos === null
      ? ''
      : `  (≈95%: ${formatSpend(f.low_nanos)} – ${formatSpend(f.high_nanos)})`;
  out.push(
    `Month-end forecast for ${f.month}`,
    `  spent so far  ${formatSpend(f.spent_nanos)} in ${f.days_elapsed.toFixed(1)} of ${f.days_in_month} days`,
    `  forecast      ${formatSpend(f.forecast_nanos)}${band}`,
    `  method        ${f.method}: ${f.note}`,
    '',
  );

  out.push('Cost-optimizer advice');
  if (report.advice.length === 0) {
    out.push(
      '  No suggestion: no cheaper model of the same tier has a graded record as good as the models in use.',
      '  (Grades come from POST /v1/feedback ratings and, lacking them, confidence scores.)',
    );
  }
  report.advice.forEach((advice, i) => {
    out.push(
      `  ${i + 1}. ${advice.route === null ? 'direct requests' : `route ${advice.route}`}: ` +
        `${advice.model} -> ${advice.alternative} (${advice.tier}) would have saved ~${formatSpend(advice.saving_nanos)} ` +
        `(${Math.round(advice.saving_share * 100)}%) on ${integer(advice.requests)} requests`,
      `     ${advice.reason}`,
    );
  });
  return `${out.join('\n')}\n`;
}

// ---- commands -------------------------------------------------------------------------------

async function withSource<T>(options: CostsOptions, run: (source: UsageSource) => Promise<T>): Promise<T> {
  const source = openSource(options);
  try {
    return await run(source);
  } finally {
    await source.close();
  }
}

export async function costsStatsCommand(options: CostsOptions): Promise<void> {
  const request = usageRequestFrom(options, Date.now(), 'daily');
  const format = options.format ?? (options.json ? 'json' : 'table');
  if (!['table', 'json', 'csv'].includes(format)) fail('--format: expected table, json or csv');
  const doc = await withSource(options, (source) => source.usage(request));
  if (format === 'json') process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else if (format === 'csv') process.stdout.write(usageCsv(doc));
  else process.stdout.write(renderStats(doc));
}

export async function costsReportCommand(options: CostsOptions): Promise<void> {
  const request = usageRequestFrom(options, Date.now(), 'monthly');
  const top = options.top === undefined ? 5 : Number(options.top);
  if (!Number.isInteger(top) || top < 0 || top > 100) fail('--top: expected a whole number from 0 to 100');
  const report = await withSource(options, (source) => source.report({ ...request, top }));
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
}

export async function costsExportCommand(options: CostsOptions): Promise<void> {
  const format = options.format ?? 'csv';
  if (format !== 'csv' && format !== 'json') fail('--format: expected csv or json');
  const filters = filtersFrom(options, Date.now());
  // Nothing is written to stdout after an export, so the pipeline may end it.
  const destination = options.output === undefined ? process.stdout : createWriteStream(options.output);
  let count: number | undefined;
  try {
    count = await withSource(options, (source) => source.export(format, filters, destination));
  } catch (error) {
    // `costs export | head` closing the pipe early is the reader's choice, not a failure.
    if ((error as { code?: unknown }).code === 'EPIPE') return;
    throw error;
  }
  if (options.output !== undefined) {
    process.stderr.write(
      `${count === undefined ? 'exported' : `exported ${integer(count)} requests`} to ${options.output}\n`,
    );
  }
}
