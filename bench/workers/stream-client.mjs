#!/usr/bin/env node
/**
 * @module bench/workers/stream-client
 * Opens `streams` streaming chat completions, each on its own connection, started evenly over
 * `--ramp-ms` (so that they are all open together without a SYN flood that overflows the
 * server's accept queue, which would measure TCP's 1 s retransmit instead of the server), and times
 * each one: time to the first byte of content (the first SSE delta with non-empty `content`,
 * not the role-only opener), and time to the end. A stream counts as an error when it fails,
 * answers non-200, or ends without `data: [DONE]`. Prints one JSON line with the percentiles in
 * milliseconds and the error counts.
 *
 *   node bench/workers/stream-client.mjs --url URL --headers JSON --body TEXT --streams N [--ramp-ms N] [--timeout S]
 */

import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { summarize } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    headers: { type: 'string', default: '{}' },
    body: { type: 'string' },
    streams: { type: 'string', default: '100' },
    'ramp-ms': { type: 'string', default: '100' },
    timeout: { type: 'string', default: '60' },
  },
});

const url = new URL(values.url);
const headers = JSON.parse(values.headers);
const body = Buffer.from(values.body ?? '');
const streams = Math.max(1, Number(values.streams));
const timeoutMs = Number(values.timeout) * 1000;
const rampMs = Math.max(0, Number(values['ramp-ms']));
const pool = new Pool(url.origin, {
  connections: streams,
  pipelining: 1,
  headersTimeout: timeoutMs,
  bodyTimeout: timeoutMs,
  connect: { timeout: timeoutMs },
});
const path = url.pathname + url.search;

const CONTENT = '"content":"';
const DONE = 'data: [DONE]';

/** Index just past the first non-empty `"content":"…` in `text` from `from`, or -1. */
function firstContent(text, from) {
  let at = text.indexOf(CONTENT, from);
  while (at !== -1) {
    const next = at + CONTENT.length;
    if (next >= text.length) return -1;
    if (text[next] !== '"') return next;
    at = text.indexOf(CONTENT, next);
  }
  return -1;
}

const ttftMs = [];
const totalMs = [];
const failures = { http: 0, incomplete: 0, transport: 0 };
let firstError;

function startAt(delayMs) {
  return new Promise((resolve) => setTimeout(resolve, delayMs)).then(one);
}

async function one() {
  const started = process.hrtime.bigint();
  const elapsedMs = () => Number(process.hrtime.bigint() - started) / 1e6;
  try {
    const response = await pool.request({ method: 'POST', path, headers, body });
    if (response.statusCode !== 200) {
      failures.http++;
      firstError ??= `HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 200)}`;
      return;
    }
    let text = '';
    let scanned = 0;
    let first;
    for await (const chunk of response.body) {
      text += chunk.toString();
      if (first === undefined) {
        if (firstContent(text, Math.max(0, scanned - CONTENT.length)) !== -1) first = elapsedMs();
        scanned = text.length;
      }
    }
    if (first === undefined || !text.includes(DONE)) {
      failures.incomplete++;
      firstError ??= `stream ended without ${first === undefined ? 'content' : '[DONE]'}: …${text.slice(-200)}`;
      return;
    }
    ttftMs.push(first);
    totalMs.push(elapsedMs());
  } catch (error) {
    failures.transport++;
    firstError ??= String(error?.code ?? error?.message ?? error);
  }
}

const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: streams }, (_, i) => startAt(Math.floor((i * rampMs) / streams))));
const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
await pool.close();

const ttft = summarize(ttftMs);
const total = summarize(totalMs);
process.stdout.write(
  `${JSON.stringify({
    streams,
    completed: ttftMs.length,
    errors: failures.http + failures.incomplete + failures.transport,
    failures,
    ttftP50Ms: ttft.p50,
    ttftP90Ms: ttft.p90,
    ttftP99Ms: ttft.p99,
    ttftMaxMs: ttft.max,
    totalP50Ms: total.p50,
    totalP99Ms: total.p99,
    wallMs,
    ...(firstError === undefined ? {} : { firstError }),
  })}\n`,
);
