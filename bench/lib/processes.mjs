/**
 * @module bench/lib/processes
 * Child processes of the benchmark: every server and every load generator runs in its own
 * process, pinned with `taskset` to a core (the gateway under test on one, the mock upstream and
 * the load on the other) so that the figures say what one gateway core does. Also reads a
 * child's CPU time and memory from /proc, which is how the harness knows whether the gateway
 * core was saturated and what its peak RSS was.
 */

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The cores: the gateway (or proxy) under test, and everything that loads it. */
export const GATEWAY_CORE = '0';
export const LOAD_CORE = '1';

let tasksetChecked;

/** Whether `taskset` exists and may pin here (a sandbox can forbid sched_setaffinity). */
export function tasksetAvailable() {
  if (tasksetChecked === undefined) {
    const probe = spawnSync('taskset', ['-c', GATEWAY_CORE, 'true'], { stdio: 'ignore' });
    tasksetChecked = probe.status === 0;
  }
  return tasksetChecked;
}

/** The command line that runs `args` pinned to `core`, or unpinned when taskset is unavailable. */
export function pinned(core, command, args) {
  if (core !== undefined && tasksetAvailable())
    return { command: 'taskset', args: ['-c', core, command, ...args] };
  return { command, args };
}

/** A free TCP port on 127.0.0.1 (for servers that cannot listen on port 0 and report it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const KEPT_OUTPUT_CHARS = 16_384;

/** Every child still running: killed when the harness exits, however it exits. */
const live = new Set();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping ${live.size} child process(es)\n`);
    process.exit(130);
  });
}

function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * Starts a long-running server and resolves once `ready(outputSoFar)` returns a URL (or, with
 * `probeUrl`, once that URL answers). The child's output is drained continuously — a child
 * that fills its pipe would stall — and the last few kB are kept for error messages.
 */
export async function startServer({
  name,
  core,
  command = process.execPath,
  args,
  env,
  cwd,
  ready,
  probeUrl,
  timeoutMs = 30_000,
}) {
  const line = pinned(core, command, args);
  const child = track(
    spawn(line.command, line.args, {
      cwd,
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > KEPT_OUTPUT_CHARS * 2) output = output.slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited;
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });

  const deadline = Date.now() + timeoutMs;
  let url;
  while (url === undefined) {
    if (exited)
      throw new Error(`${name} exited (${exited.code ?? exited.signal}) before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready after ${timeoutMs} ms:\n${output}`);
    }
    if (probeUrl !== undefined) {
      if (await answers(probeUrl)) url = probeUrl;
    } else {
      url = ready(output);
    }
    if (url === undefined) await sleep(50);
  }

  return {
    name,
    url,
    pid: child.pid,
    output: () => output,
    /** Stops the server: SIGINT first (Switchyard flushes its ledger), SIGKILL if it lingers. */
    async stop(graceMs = 5_000) {
      if (exited) return exited;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exitPromise;
      clearTimeout(timer);
      return result;
    },
  };
}

async function answers(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Finds `http://HOST:PORT` in a server's start-up output. */
export function listeningUrl(output) {
  const match = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)/.exec(output);
  return match ? `http://127.0.0.1:${match[1]}` : undefined;
}

/**
 * Runs a short-lived child (a load generator, a timing worker) pinned to `core` and resolves
 * with its stdout, which these workers use to hand back one JSON document.
 */
export function runWorker({ name, core, command = process.execPath, args, env, cwd, timeoutMs = 600_000 }) {
  const line = pinned(core, command, args);
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(line.command, line.args, {
        cwd,
        env: env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const out = [];
    let err = '';
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => {
      err += chunk.toString();
      if (err.length > KEPT_OUTPUT_CHARS * 2) err = err.slice(-KEPT_OUTPUT_CHARS);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString();
      if (code === 0) resolve({ stdout, stderr: err });
      else reject(new Error(`${name} failed (${code ?? signal}):\n${err || stdout}`.trim()));
    });
  });
}

/** Parses the last line of a worker's stdout that is a JSON object. */
export function lastJson(stdout) {
  const lines = stdout.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const text = lines[i].trim();
    if (text.startsWith('{')) return JSON.parse(text);
  }
  const start = stdout.indexOf('{');
  if (start !== -1) return JSON.parse(stdout.slice(start));
  throw new Error(`no JSON in worker output: ${stdout.slice(0, 500)}`);
}

const CLOCK_TICKS_PER_S = readClockTicks();

function readClockTicks() {
  const probe = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(probe.stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
}

/** CPU seconds (user + system, all threads) a process has used so far; undefined if unknown. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in MB: now (`VmRSS`) and the peak so far (`VmHWM`). */
export function memoryMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (key) => {
      const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return match ? Number(match[1]) / 1024 : undefined;
    };
    return { rssMb: field('VmRSS'), peakRssMb: field('VmHWM') };
  } catch {
    return { rssMb: undefined, peakRssMb: undefined };
  }
}

/** Busy and total jiffies per core, from /proc/stat (`cpu0`, `cpu1`, …). */
function coreTicks() {
  try {
    const out = {};
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const match = /^cpu(\d+) (.*)$/.exec(line);
      if (!match) continue;
      const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2]
        .trim()
        .split(/\s+/)
        .map(Number);
      const busy = user + nice + system + irq + softirq + steal;
      out[match[1]] = { busy, total: busy + idle + iowait };
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * What a server process spends while `work()` runs: its CPU seconds (divided by the load's
 * duration: how busy its core was, 1.0 = saturated — which tells whether a throughput figure
 * measures the server or the load generator), and how busy the gateway core was in total. The
 * difference is other processes on the gateway core: on a shared machine, interference.
 */
export async function withCpu(pid, work) {
  const cpuBefore = pid === undefined ? undefined : cpuSeconds(pid);
  const coresBefore = coreTicks();
  const started = process.hrtime.bigint();
  const result = await work();
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const coresAfter = coreTicks();
  const cpuAfter = pid === undefined ? undefined : cpuSeconds(pid);
  const cpuS = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  const busy = (core) => {
    const before = coresBefore[core];
    const after = coresAfter[core];
    if (!before || !after || after.total === before.total) return undefined;
    return (after.busy - before.busy) / (after.total - before.total);
  };
  const gatewayCoreBusy = busy(GATEWAY_CORE);
  const otherOnGatewayCore =
    gatewayCoreBusy === undefined || cpuS === undefined || !tasksetAvailable()
      ? undefined
      : Math.max(0, gatewayCoreBusy - cpuS / wallS);
  return { result, cpuS, wallS, gatewayCoreBusy, loadCoreBusy: busy(LOAD_CORE), otherOnGatewayCore };
}

/**
 * The kernel's count of connections dropped because a listening socket's accept queue was full
 * (TcpExt ListenOverflows): when it grows during a measurement, clients waited for TCP's SYN
 * retransmit (1 s), and the figure measures that, not the server.
 */
export function listenOverflows() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      if (!lines[i].startsWith('TcpExt:')) continue;
      const names = lines[i].split(/\s+/);
      const counts = lines[i + 1].split(/\s+/);
      const at = names.indexOf('ListenOverflows');
      return at === -1 ? undefined : Number(counts[at]);
    }
  } catch {
    // Not Linux, or /proc is not readable: unknown.
  }
  return undefined;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
