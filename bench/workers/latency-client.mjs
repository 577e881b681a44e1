#!/usr/bin/env node
/**
 * @module bench/workers/latency-client
 * A closed-loop latency client with microsecond timing: `concurrency` loops, each sending one
 * chat completion and reading the whole answer before the next, over keep-alive connections
 * (one per loop). The client's own cost is the same for every target, so differences between
 * targets are the targets'. Prints one JSON line: latency percentiles in µs, requests/s, errors.
 *
 *   node bench/workers/latency-client.mjs --url URL --headers JSON --body TEXT --concurrency N --duration S [--warmup S]
 */

import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { summarize } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    headers: { type: 'string', default: '{}' },
    body: { type: 'string' },
    concurrency: { type: 'string', default: '1' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '0' },
  },
});

const url = new URL(values.url);
const headers = JSON.parse(values.headers);
const body = Buffer.from(values.body ?? '');
const concurrency = Math.max(1, Number(values.concurrency));
const durationMs = Number(values.duration) * 1000;
const warmupMs = Number(values.warmup) * 1000;
const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
const path = url.pathname + url.search;

const latenciesUs = [];
let ok = 0;
let non2xx = 0;
let errors = 0;
let firstError;
let measuring = false;
let stopAt = 0;

async function once() {
  const started = process.hrtime.bigint();
  try {
    const response = await pool.request({ method: 'POST', path, headers, body });
    // The whole answer counts: a gateway that sends headers early but the body late is not faster.
    for await (const _chunk of response.body) {
      // drained
    }
    const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
    if (!measuring) return;
    if (response.statusCode >= 200 && response.statusCode < 300) {
      ok++;
      latenciesUs.push(elapsedUs);
    } else {
      non2xx++;
      firstError ??= `HTTP ${response.statusCode}`;
    }
  } catch (error) {
    if (!measuring) return;
    errors++;
    firstError ??= String(error?.message ?? error);
  }
}

async function loop() {
  while (Date.now() < stopAt) await once();
}

// Warm-up: the same loops, results discarded.
stopAt = Date.now() + warmupMs;
await Promise.all(Array.from({ length: concurrency }, loop));
measuring = true;
const started = process.hrtime.bigint();
stopAt = Date.now() + durationMs;
await Promise.all(Array.from({ length: concurrency }, loop));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await pool.close();

const latency = summarize(latenciesUs);
process.stdout.write(
  `${JSON.stringify({
    requests: ok,
    rps: ok / seconds,
    p50Us: latency.p50,
    p90Us: latency.p90,
    p99Us: latency.p99,
    meanUs: latency.mean,
    maxUs: latency.max,
    non2xx,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  })}\n`,
);
