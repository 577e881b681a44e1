#!/usr/bin/env node
/**
 * @module bench/ledger-report
 * How long the ledger's usage reports take on a month of a million requests. Builds the ledger
 * in a temp dir through the real `createSqliteLedger` (the gateway's own write path: appends
 * queued, written by the worker thread in batches of 5,000, one attempt row per request and a
 * second one for a tenth of them), then opens it read-only as `switchyard costs` does and times
 * each report query `--runs` times, printing medians; the target is under one second per
 * report. Also times the cost report (four queries), a report through the gateway's writer
 * thread, and a full CSV export. Runs the built code: `npm run build` first.
 *
 *   node bench/ledger-report.mjs [--rows 1000000] [--runs 5] [--keep FILE] [--reuse FILE]
 */

import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'string' },
    reuse: { type: 'string' },
  },
});
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const TARGET_MS = 1_000;

const dist = (path) => new URL(`../dist/${path}`, import.meta.url);
if (!existsSync(fileURLToPath(dist('storage/sqlite/sqlite-ledger.js')))) {
  console.error('bench/ledger-report: dist/ is missing; run `npm run build` first.');
  process.exit(1);
}
const { createSqliteLedger } = await import(dist('storage/sqlite/sqlite-ledger.js').href);
const { buildCostReport } = await import(dist('accounting/reports/usage-report.js').href);
const { encodeExport, scanLedger } = await import(dist('accounting/reports/export-rows.js').href);

// January 2026, 31 days: the month every report below asks about.
const MONTH_START = Date.UTC(2026, 0, 1);
const MONTH_END = Date.UTC(2026, 1, 1);
const MONTH = { since: MONTH_START, until: MONTH_END };

const MODELS = [
  ['gpt-4o-mini', 'openai', 0.15, 0.6],
  ['gpt-4o', 'openai', 2.5, 10],
  ['claude-3-5-haiku', 'anthropic', 0.8, 4],
  ['claude-3-5-sonnet', 'anthropic', 3, 15],
  ['gemini-1.5-flash', 'gemini', 0.075, 0.3],
  ['gemini-1.5-pro', 'gemini', 1.25, 5],
  ['llama-3.1-70b', 'ollama', 0, 0],
  ['mistral-large', 'openai', 2, 6],
];
const ROUTES = [
  ['auto', 'cheapest'],
  ['reliable', 'fallback'],
  ['panel', 'ensemble'],
  [undefined, 'direct'],
];

/** A deterministic, realistic request: 200 keys, 20 projects, 1–2 of 10 tags, 3% errors. */
function record(i) {
  const [model, provider, inPrice, outPrice] = MODELS[(i * 7) % MODELS.length];
  const [route, strategy] = ROUTES[(i * 13) % ROUTES.length];
  const inputTokens = 200 + ((i * 37) % 3_000);
  const outputTokens = 50 + ((i * 53) % 800);
  const costNanos = Math.round(inputTokens * inPrice * 1_000 + outputTokens * outPrice * 1_000);
  const failed = i % 33 === 0;
  const latencyMs = 150 + ((i * 97) % 2_500);
  const attempts = [
    {
      attempt: 1,
      model,
      provider,
      deployment: `${model}@${provider}`,
      status: failed ? 'error' : 'ok',
      ...(failed ? { errorCode: 'MODEL_ERROR', httpStatus: 502 } : {}),
      latencyMs,
      inputTokens,
      outputTokens,
      costNanos,
    },
  ];
  if (i % 10 === 0 && !failed) {
    attempts.unshift({
      ...attempts[0],
      status: 'error',
      errorCode: 'TIMEOUT',
      httpStatus: 504,
      costNanos: 0,
    });
    attempts[1] = { ...attempts[1], attempt: 2 };
  }
  return {
    requestId: `req-${i.toString(36).padStart(8, '0')}-${(i * 2_654_435_761) % 4_294_967_296}`,
    timestamp: MONTH_START + Math.floor((i * (MONTH_END - MONTH_START)) / ROWS),
    endpoint: '/v1/chat/completions',
    keyId: `key-${(i * 31) % 200}`,
    project: `project-${(i * 17) % 20}`,
    user: `user-${(i * 11) % 5_000}`,
    tags: i % 3 === 0 ? [`tag-${i % 10}`, `tag-${(i + 3) % 10}`] : [`tag-${i % 10}`],
    ...(route === undefined ? {} : { route }),
    strategy,
    model,
    provider,
    deployment: `${model}@${provider}`,
    status: failed ? 'error' : 'ok',
    ...(failed ? { errorCode: 'MODEL_ERROR' } : {}),
    httpStatus: failed ? 502 : 200,
    stream: i % 2 === 0,
    inputTokens,
    outputTokens,
    cachedInputTokens: i % 5 === 0 ? Math.floor(inputTokens / 2) : 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    usageEstimated: false,
    costNanos: failed ? 0 : costNanos,
    latencyMs,
    ttftMs: latencyMs / 4,
    cacheHit: i % 50 === 0,
    ...(i % 2 === 0 ? { confidence: 0.5 + ((i * 7) % 50) / 100 } : {}),
    ...(i % 50 === 1 ? { feedback: { rating: 1 + (i % 5) } } : {}),
    routeTrace: `${strategy}: ${model} chosen among ${MODELS.length} candidates (cheapest that fits)`,
    attempts,
  };
}

async function build(path) {
  const ledger = createSqliteLedger({ path, batchSize: 5_000, flushMs: 50 });
  const started = performance.now();
  const CHUNK = 20_000;
  for (let from = 0; from < ROWS; from += CHUNK) {
    for (let i = from; i < Math.min(ROWS, from + CHUNK); i++) ledger.append(record(i));
    // Bounded memory: the queue never holds more than a chunk.
    await ledger.flush();
    if (process.stderr.isTTY) process.stderr.write(`\rbuilding ${Math.min(ROWS, from + CHUNK)}/${ROWS}`);
  }
  await ledger.close();
  const seconds = (performance.now() - started) / 1_000;
  if (process.stderr.isTTY) process.stderr.write('\n');
  return seconds;
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Wall time, and CPU time of the whole process (worker threads included): on a shared machine
 * the CPU time is what the query costs, the wall time what a user waits.
 */
async function time(fn) {
  const times = [];
  const cpu = [];
  let result;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    result = await fn();
    const used = process.cpuUsage(cpuStarted);
    times.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1_000);
  }
  return {
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    cpuMs: median(cpu),
    result,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-report-'));
const path = values.reuse ?? values.keep ?? join(dir, 'ledger.db');
let buildSeconds;
if (values.reuse === undefined) {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  buildSeconds = await build(path);
}

const reader = createSqliteLedger({ path, readonly: true });
const count = await reader.count();
const results = [];
const queries = [
  ['by day, month', { ...MONTH, period: 'day' }],
  ['by model, month', { ...MONTH, by: ['model'] }],
  ['by key, month', { ...MONTH, by: ['key'] }],
  ['by month', { period: 'month' }],
  ['by project, week', { ...MONTH, period: 'week', by: ['project'] }],
  ['by day + p95 latency', { ...MONTH, period: 'day', p95: true }],
  ['by route × model (advice)', { ...MONTH, by: ['route', 'model'] }],
  ['by tag, month', { ...MONTH, by: ['tag'] }],
  ['one model, by day', { ...MONTH, model: 'gpt-4o', period: 'day' }],
];
for (const [name, query] of queries) {
  const timing = await time(() => reader.aggregate(query));
  results.push({ name, rows: timing.result.length, ...timing });
}

const models = new Map(
  MODELS.map(([name, , input, output]) => [
    name,
    {
      name,
      tier: 'advanced',
      prices: { inputPerMTok: input, outputPerMTok: output },
      capabilities: new Set(['chat']),
    },
  ]),
);
const report = await time(() =>
  buildCostReport(reader, models, { filters: MONTH, period: 'day', by: ['model'] }, MONTH_END - 86_400_000),
);
results.push({ name: 'cost report (4 queries)', rows: report.result.periods.length, ...report });

// The gateway's path: the same report on the writer's worker thread.
const writerSide = createSqliteLedger({ path });
const onWorker = await time(() => writerSide.aggregate({ ...MONTH, by: ['model'] }));
results.push({ name: 'by model, on the writer thread', rows: onWorker.result.length, ...onWorker });
await writerSide.close();

// A full export, CSV, into a sink that only counts bytes.
let bytes = 0;
const sink = new Writable({
  write(chunk, _encoding, callback) {
    bytes += chunk.length;
    callback();
  },
});
const exportStarted = performance.now();
await pipeline(Readable.from(encodeExport(scanLedger(reader, MONTH), 'csv')), sink);
const exportSeconds = (performance.now() - exportStarted) / 1_000;
await reader.close();

const size = statSync(path).size;
console.log(
  `\nLedger: ${count.toLocaleString('en-US')} requests in January 2026, ${(size / 1e6).toFixed(0)} MB` +
    (buildSeconds === undefined
      ? ` (reused ${path})`
      : `, built through createSqliteLedger in ${buildSeconds.toFixed(1)} s (${Math.round(ROWS / buildSeconds).toLocaleString('en-US')} records/s)`),
);
console.log(
  `Each query ${RUNS} times on the read-only connection; medians of wall time (min–max) and of CPU time;\n` +
    `target < ${TARGET_MS} ms. Load average at the end: ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')} on ${availableParallelism()} CPUs.\n`,
);
for (const r of results) {
  const verdict = r.medianMs < TARGET_MS ? 'ok' : r.cpuMs < TARGET_MS ? 'ok (CPU)' : 'SLOW';
  console.log(
    `  ${r.name.padEnd(32)} ${r.medianMs.toFixed(0).padStart(6)} ms  (${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)})  ` +
      `cpu ${r.cpuMs.toFixed(0).padStart(5)} ms  ${String(r.rows).padStart(4)} rows  ${verdict}`,
  );
}
console.log(
  `\n  export, CSV, whole month          ${exportSeconds.toFixed(1)} s  (${Math.round(count / exportSeconds).toLocaleString('en-US')} rows/s, ${(bytes / 1e6).toFixed(0)} MB)`,
);
console.log(
  JSON.stringify({
    rows: count,
    dbBytes: size,
    buildSeconds,
    exportSeconds,
    queries: results.map(({ name, rows, medianMs, minMs, maxMs, cpuMs }) => ({
      name,
      rows,
      cpuMs,
      medianMs,
      minMs,
      maxMs,
    })),
  }),
);

// The temp dir holds the ledger only when neither --keep nor --reuse named another file.
rmSync(dir, { recursive: true, force: true });
