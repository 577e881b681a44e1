#!/usr/bin/env node
/**
 * @module bench/workers/ledger-throughput
 * Scenario F: how many ledger records per second a backend makes durable, and what `append()`
 * costs the request path (it runs on the event loop of every request). Appends `--rows`
 * realistic records (one attempt each) as fast as it can, then waits for `flush()`. Backends:
 * `sqlite` (createSqliteLedger, worker-thread writer, in a temp dir) and `postgres` (once
 * src/storage/postgres exists and DATABASE_URL is set). Prints one JSON line.
 *
 *   node bench/workers/ledger-throughput.mjs --backend sqlite|postgres [--rows 100000]
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'sqlite' },
    rows: { type: 'string', default: '100000' },
  },
});
const rows = Number(values.rows);
const distUrl = (path) => new URL(`../../dist/${path}`, import.meta.url);

/** Where a PostgreSQL ledger is expected once it exists; the slot the report fills then. */
const POSTGRES_MODULE = 'storage/postgres/postgres-ledger.js';

async function openLedger(backend) {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-ledger-'));
    const { createSqliteLedger } = await import(distUrl('storage/sqlite/sqlite-ledger.js').href);
    return {
      ledger: createSqliteLedger({ path: join(dir, 'ledger.db') }),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (backend === 'postgres') {
    if (!existsSync(fileURLToPath(distUrl(POSTGRES_MODULE))))
      return { unavailable: 'not available yet (no PostgreSQL ledger in this build)' };
    if (!process.env.DATABASE_URL) return { unavailable: 'DATABASE_URL is not set' };
    const module = await import(distUrl(POSTGRES_MODULE).href);
    if (typeof module.createPostgresLedger !== 'function')
      return { unavailable: `${POSTGRES_MODULE} has no createPostgresLedger` };
    const ledger = await module.createPostgresLedger({
      url: process.env.DATABASE_URL,
      table: `bench_ledger_${process.pid}`,
    });
    return { ledger, cleanup: () => {} };
  }
  throw new Error(`unknown backend ${backend}`);
}

function record(i, runId) {
  const latencyMs = 180 + (i % 50);
  return {
    requestId: `bench-${runId}-${i}`,
    timestamp: Date.now(),
    endpoint: 'chat.completions',
    keyId: 'key_bench',
    route: 'bench-cheapest',
    strategy: 'cheapest',
    model: 'gpt-4o-mini',
    provider: 'mock',
    deployment: 'gpt-4o-mini@mock',
    status: 'ok',
    httpStatus: 200,
    stream: i % 4 === 0,
    inputTokens: 12,
    outputTokens: 11 + (i % 30),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    usageEstimated: false,
    costNanos: 8_400 + i,
    latencyMs,
    cacheHit: false,
    routeTrace: 'cheapest: gpt-4o-mini ($0.4875/Mtok blended) among 3 candidates with chat',
    attempts: [
      {
        attempt: 1,
        model: 'gpt-4o-mini',
        provider: 'mock',
        deployment: 'gpt-4o-mini@mock',
        status: 'ok',
        latencyMs,
        inputTokens: 12,
        outputTokens: 11 + (i % 30),
        costNanos: 8_400 + i,
      },
    ],
  };
}

const opened = await openLedger(values.backend);
if (opened.unavailable) {
  process.stdout.write(
    `${JSON.stringify({ backend: values.backend, available: false, reason: opened.unavailable })}\n`,
  );
  process.exit(0);
}
const { ledger, cleanup } = opened;
const runId = `${process.pid}-${Date.now()}`;
// Records are built before the clock starts: building them is the caller's cost, not the ledger's.
const records = Array.from({ length: rows }, (_, i) => record(i, runId));
const started = process.hrtime.bigint();
for (const entry of records) ledger.append(entry);
const appendedNs = process.hrtime.bigint() - started;
await ledger.flush();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const count = await ledger.count();
await ledger.close();
cleanup();
process.stdout.write(
  `${JSON.stringify({
    backend: values.backend,
    available: true,
    rows,
    written: count,
    rowsPerS: rows / seconds,
    appendUs: Number(appendedNs) / 1000 / rows,
    seconds,
  })}\n`,
);
