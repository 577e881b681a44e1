/**
 * @module bench/lib/loaders
 * Load for the throughput scenario: autocannon (a project devDependency) or wrk when it is on
 * the PATH (C, lighter on the shared load core), each run as its own process pinned to the load
 * core, so the load never competes with the gateway for its core. Also runs the harness's own
 * closed-loop latency client and streaming client (bench/workers/), which time in microseconds
 * where autocannon only resolves milliseconds.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOAD_CORE, lastJson, runWorker } from './processes.mjs';
import { CHAT_PATH, chatBody, ROOT } from './targets.mjs';

const AUTOCANNON = join(ROOT, 'node_modules/autocannon/autocannon.js');

/** Which throughput load generator to use: `wrk` when installed, else autocannon. */
export function chooseLoader(preferred) {
  const wrk = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  const hasWrk = wrk.error === undefined;
  if (preferred === 'wrk' && !hasWrk) throw new Error('--loader wrk: wrk is not installed');
  if (preferred === 'wrk' || (preferred === undefined && hasWrk)) {
    const version = /wrk (\S+)/.exec(`${wrk.stdout}${wrk.stderr}`)?.[1] ?? '';
    return { name: 'wrk', version };
  }
  let version = '';
  try {
    version = JSON.parse(readFileSync(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8')).version;
  } catch {
    throw new Error('autocannon is not installed: run `npm install` (it is a devDependency)');
  }
  return { name: 'autocannon', version };
}

/**
 * Closed-loop throughput: `connections` clients, each sending the next request when the last is
 * answered, for `durationS`. Resolves with requests/s of 2xx answers, latency p50/p99 in ms
 * (millisecond resolution), and error counts.
 */
export async function throughputRun(loader, target, { connections, durationS }) {
  const body = chatBody(target.model);
  const headers = { 'content-type': 'application/json', ...target.headers };
  const url = `${target.url}${CHAT_PATH}`;
  return loader.name === 'wrk'
    ? runWrk(url, headers, body, connections, durationS)
    : runAutocannon(url, headers, body, connections, durationS);
}

async function runAutocannon(url, headers, body, connections, durationS) {
  const args = [
    AUTOCANNON,
    '--json',
    '-n',
    '-c',
    String(connections),
    '-d',
    String(durationS),
    '-m',
    'POST',
    '-b',
    body,
  ];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  args.push(url);
  const { stdout } = await runWorker({
    name: 'autocannon',
    core: LOAD_CORE,
    args,
    timeoutMs: (durationS + 60) * 1000,
  });
  const result = lastJson(stdout);
  const ok = result['2xx'] ?? 0;
  const seconds = result.duration > 0 ? result.duration : durationS;
  return {
    rps: ok / seconds,
    p50Ms: result.latency?.p50,
    p99Ms: result.latency?.p99,
    meanMs: result.latency?.average,
    requests: ok,
    non2xx: result.non2xx ?? 0,
    errors: (result.errors ?? 0) + (result.timeouts ?? 0),
    durationS: seconds,
  };
}

async function runWrk(url, headers, body, connections, durationS) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-wrk-'));
  const script = join(dir, 'post.lua');
  const lines = ['wrk.method = "POST"', `wrk.body = ${JSON.stringify(body)}`];
  for (const [name, value] of Object.entries(headers))
    lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  writeFileSync(script, `${lines.join('\n')}\n`);
  try {
    const { stdout } = await runWorker({
      name: 'wrk',
      core: LOAD_CORE,
      command: 'wrk',
      args: ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', '-s', script, url],
      timeoutMs: (durationS + 60) * 1000,
    });
    return parseWrk(stdout, durationS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function wrkMs(text) {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  return { us: value / 1000, ms: value, s: value * 1000, m: value * 60_000 }[match[2]];
}

function parseWrk(text, durationS) {
  const requests = Number(/(\d+) requests in ([\d.]+)(\w+)/.exec(text)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const percentile = (p) => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(text);
    return match ? wrkMs(match[1]) : undefined;
  };
  return {
    rps: (requests - non2xx) / durationS,
    p50Ms: percentile(50),
    p99Ms: percentile(99),
    meanMs: wrkMs(/Latency\s+(\S+)/.exec(text)?.[1] ?? ''),
    requests: requests - non2xx,
    non2xx,
    errors,
    durationS,
  };
}

/**
 * The harness's closed-loop latency client (bench/workers/latency-client.mjs): `concurrency`
 * sequential loops for `durationS` after `warmupS`; latencies in microseconds.
 */
export async function latencyRun(target, { concurrency, durationS, warmupS = 0 }) {
  const args = [
    join(ROOT, 'bench/workers/latency-client.mjs'),
    '--url',
    `${target.url}${CHAT_PATH}`,
    '--headers',
    JSON.stringify({ 'content-type': 'application/json', ...target.headers }),
    '--body',
    chatBody(target.model),
    '--concurrency',
    String(concurrency),
    '--duration',
    String(durationS),
    '--warmup',
    String(warmupS),
  ];
  const { stdout } = await runWorker({
    name: 'latency client',
    core: LOAD_CORE,
    args,
    timeoutMs: (durationS + warmupS + 60) * 1000,
  });
  return lastJson(stdout);
}

/** The streaming client (bench/workers/stream-client.mjs): `streams` SSE requests started over `rampMs`. */
export async function streamRun(target, { streams, rampMs = 0, prompt, timeoutS = 60 }) {
  const args = [
    join(ROOT, 'bench/workers/stream-client.mjs'),
    '--url',
    `${target.url}${CHAT_PATH}`,
    '--headers',
    JSON.stringify({ 'content-type': 'application/json', ...target.headers }),
    '--body',
    chatBody(target.model, { stream: true, prompt }),
    '--streams',
    String(streams),
    '--ramp-ms',
    String(rampMs),
    '--timeout',
    String(timeoutS),
  ];
  const { stdout } = await runWorker({
    name: 'stream client',
    core: LOAD_CORE,
    args,
    timeoutMs: (timeoutS + 60) * 1000,
  });
  return lastJson(stdout);
}
