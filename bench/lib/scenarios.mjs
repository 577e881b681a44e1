/**
 * @module bench/lib/scenarios
 * The six scenarios of the overhead benchmark. A–D load real servers: each starts its own mock
 * upstream and its own gateway processes, warms every target up, then measures them in rounds,
 * alternating the order from round to round so that no target always runs first or last, and
 * keeps every round's figures; the report takes medians. E and F time components in a process
 * pinned to the gateway's core.
 *
 *   A  0 ms upstream, 50 connections: requests/s, latency p50/p99, gateway CPU.
 *   B  50 ms upstream, 20 concurrent: latency added over the upstream's own, p50/p99.
 *   C  one request at a time, 0 ms upstream: latency added, p50/p99.
 *   D  N concurrent streams: time to first token added, errors, peak RSS.
 *   E  routing decision over a 500-model registry.
 *   F  ledger write throughput (SQLite; PostgreSQL once it exists).
 */

import { join } from 'node:path';
import { latencyRun, streamRun, throughputRun } from './loaders.mjs';
import {
  GATEWAY_CORE,
  lastJson,
  listenOverflows,
  memoryMb,
  runWorker,
  sleep,
  withCpu,
} from './processes.mjs';
import { median, medianOfRounds } from './stats.mjs';
import {
  checkTarget,
  LABELS,
  ROOT,
  STREAM_PROMPT,
  startBareProxy,
  startMock,
  startPortkey,
  startSwitchyard,
} from './targets.mjs';

/**
 * D's upstream: 100 ms to the first token, then 30 tokens at 10 tokens/s, so a stream lasts
 * ~3 s. The streams open evenly over one second — all of them are open together, yet no
 * SYN burst overflows an accept queue (which would time TCP's 1 s retransmit, not a server).
 */
export const STREAM_PROFILE = { ttftMs: 100, tokensPerS: 10, outputTokens: 30 };
export const STREAM_RAMP_MS = 1_000;

/** Pause between two measurements, so a server's leftovers (ledger writes, GC) do not spill over. */
const SETTLE_MS = 500;
/**
 * Pause after a warm-up: long enough for what the warm-up started loading to finish before the
 * first round. The load generators cancel their requests in flight when a run ends, and
 * Switchyard loads its BPE tokenizer (~70 MB of tables, about half a CPU-second here) at the
 * first cancelled request to estimate its usage; measured inside round 1, that one-off would
 * read as several percent of a steady-state figure.
 */
const WARMUP_SETTLE_MS = 2_500;

export const SCENARIOS = {
  A: { title: 'Throughput: 0 ms upstream, 50 connections' },
  B: { title: 'Added latency: 50 ms upstream, 20 concurrent' },
  C: { title: 'Added latency: one request at a time, 0 ms upstream' },
  D: { title: 'Concurrent streams: time to first token, errors, peak RSS' },
  E: { title: 'Routing decision over a 500-model registry' },
  F: { title: 'Ledger write throughput' },
};

/**
 * Starts a mock upstream with `profile` and, in front of it, the bare proxy, Switchyard and (when
 * available) Portkey. Targets that fail their first request are dropped with a note.
 */
async function startTargets(context, profile, { stream = false, label }) {
  const mock = await startMock(profile);
  const servers = [mock.server];
  const notes = [];
  const targets = [];
  const add = async (id, start) => {
    let started;
    try {
      started = await start();
      servers.push(started.server);
      await checkTarget(started.target, stream ? { stream: true, prompt: STREAM_PROMPT } : {});
      targets.push(started.target);
      return started;
    } catch (error) {
      // The server's own account of the failure says more than its HTTP answer.
      const logged = started?.server
        .output()
        .split('\n')
        .find((line) => /\b\w*Error\b/.test(line));
      notes.push(
        `${label}: ${LABELS[id]} skipped: ${firstLine(error)}${logged ? ` — its log: ${logged.trim().slice(0, 200)}` : ''}`,
      );
      return undefined;
    }
  };
  await add('bare', () => startBareProxy(mock.target.url));
  const switchyard = await add('switchyard', () =>
    startSwitchyard(mock.target.url, context.workDir, { name: `switchyard-${label}` }),
  );
  if (switchyard) context.pipelineNotes.add(switchyard.keyNote);
  if (context.portkey.entry) await add('portkey', () => startPortkey(context.portkey.entry, mock.target.url));
  return {
    upstream: mock.target,
    targets,
    notes,
    async stop() {
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}

function firstLine(error) {
  return String(error?.message ?? error).split('\n')[0];
}

/** Runs `measure` for every target in every round, alternating the order; warm-up first. */
async function rounds(context, targets, { warmup, measure }) {
  const byTarget = Object.fromEntries(targets.map((target) => [target.id, []]));
  if (warmup) {
    for (const target of targets) {
      context.log(`    warm-up ${LABELS[target.id]}`);
      await warmup(target);
      await sleep(WARMUP_SETTLE_MS);
    }
  }
  for (let round = 0; round < context.options.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const figures = await measure(target, round);
      byTarget[target.id].push(figures);
      context.log(`    round ${round + 1} ${LABELS[target.id]}: ${brief(figures)}`);
      await sleep(SETTLE_MS);
    }
  }
  return byTarget;
}

function brief(figures) {
  return Object.entries(figures)
    .filter(([, value]) => typeof value === 'number')
    .slice(0, 5)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
    .join(' ');
}

/**
 * Runs `work` while reading CPU counters. `otherCpu` is the share of the gateway core used by
 * processes that are not the target (other work on a shared machine); `loadCoreBusy` says
 * whether the load core was saturated.
 */
async function measureCpu(target, work) {
  const measured = await withCpu(target.pid, work);
  // The mock upstream runs on the load core: everything on the gateway core is someone else's.
  const otherCpu = target.id === 'upstream' ? measured.gatewayCoreBusy : measured.otherOnGatewayCore;
  return { result: measured.result, cpuS: measured.cpuS, otherCpu, loadCoreBusy: measured.loadCoreBusy };
}

/** A round is undisturbed when other processes took less than this share of the gateway core. */
export const UNDISTURBED = 0.1;

function summarizeTargets(byTarget) {
  const out = {};
  for (const [id, list] of Object.entries(byTarget)) {
    const clean = list.filter(
      (figures) => typeof figures.otherCpu === 'number' && figures.otherCpu < UNDISTURBED,
    );
    out[id] = {
      rounds: list,
      median: medianOfRounds(list),
      clean: { rounds: clean.length },
      ...(clean.length > 0 ? { cleanMedian: medianOfRounds(clean) } : {}),
    };
  }
  return out;
}

/** A: closed-loop throughput with autocannon/wrk, 50 connections, 0 ms upstream. */
export async function scenarioA(context) {
  const { options } = context;
  const set = await startTargets(context, {}, { label: 'A' });
  try {
    const targets = [set.upstream, ...set.targets];
    const connections = 50;
    const byTarget = await rounds(context, targets, {
      warmup: (target) => throughputRun(context.loader, target, { connections, durationS: options.warmupS }),
      async measure(target) {
        const { result, cpuS, otherCpu, loadCoreBusy } = await measureCpu(target, () =>
          throughputRun(context.loader, target, { connections, durationS: options.durationS }),
        );
        const cpuShare = cpuS === undefined ? undefined : cpuS / result.durationS;
        return {
          ...result,
          cpuShare,
          rpsPerCpu: cpuShare ? result.rps / cpuShare : undefined,
          otherCpu,
          loadCoreBusy,
        };
      },
    });
    return {
      params: { connections, upstreamLatencyMs: 0, loader: context.loader },
      notes: set.notes,
      targets: summarizeTargets(byTarget),
    };
  } finally {
    await set.stop();
  }
}

/** B and C: the latency client; "added" is a target's latency minus the upstream's own, per round. */
async function addedLatencyScenario(context, label, { upstreamLatencyMs, concurrency }) {
  const { options } = context;
  const set = await startTargets(context, { latencyMs: upstreamLatencyMs }, { label });
  try {
    const targets = [set.upstream, ...set.targets];
    const byTarget = await rounds(context, targets, {
      warmup: (target) => latencyRun(target, { concurrency, durationS: options.warmupS }),
      async measure(target) {
        const { result, cpuS, otherCpu } = await measureCpu(target, () =>
          latencyRun(target, { concurrency, durationS: options.durationS }),
        );
        return { ...result, cpuShare: cpuS === undefined ? undefined : cpuS / options.durationS, otherCpu };
      },
    });
    // Added latency per round against the same round's upstream figures, then the median.
    const upstreamRounds = byTarget.upstream;
    for (const [id, list] of Object.entries(byTarget)) {
      if (id === 'upstream') continue;
      list.forEach((figures, round) => {
        const base = upstreamRounds[round];
        figures.addedP50Ms = (figures.p50Us - base.p50Us) / 1000;
        figures.addedP99Ms = (figures.p99Us - base.p99Us) / 1000;
        figures.addedMeanMs = (figures.meanUs - base.meanUs) / 1000;
      });
    }
    return {
      params: { concurrency, upstreamLatencyMs },
      notes: set.notes,
      targets: summarizeTargets(byTarget),
    };
  } finally {
    await set.stop();
  }
}

export function scenarioB(context) {
  return addedLatencyScenario(context, 'B', { upstreamLatencyMs: 50, concurrency: 20 });
}

export function scenarioC(context) {
  return addedLatencyScenario(context, 'C', { upstreamLatencyMs: 0, concurrency: 1 });
}

/** D: waves of concurrent SSE streams against fresh servers; peak RSS is each server's VmHWM. */
export async function scenarioD(context) {
  const { options } = context;
  const profile = STREAM_PROFILE;
  const streams = options.streams;
  const set = await startTargets(context, profile, { stream: true, label: 'D' });
  try {
    const targets = [set.upstream, ...set.targets];
    const idle = Object.fromEntries(targets.map((target) => [target.id, memoryMb(target.pid).rssMb]));
    const byTarget = await rounds(context, targets, {
      warmup: (target) =>
        streamRun(target, { streams: Math.min(50, streams), rampMs: STREAM_RAMP_MS, prompt: STREAM_PROMPT }),
      async measure(target) {
        const dropsBefore = listenOverflows();
        const { result, cpuS, otherCpu } = await measureCpu(target, () =>
          streamRun(target, { streams, rampMs: STREAM_RAMP_MS, prompt: STREAM_PROMPT }),
        );
        const dropsAfter = listenOverflows();
        const listenDrops =
          dropsBefore === undefined || dropsAfter === undefined ? undefined : dropsAfter - dropsBefore;
        return { ...result, cpuS, otherCpu, listenDrops, peakRssMb: memoryMb(target.pid).peakRssMb };
      },
    });
    const upstreamRounds = byTarget.upstream;
    for (const [id, list] of Object.entries(byTarget)) {
      if (id === 'upstream') continue;
      list.forEach((figures, round) => {
        const base = upstreamRounds[round];
        figures.addedTtftP50Ms = figures.ttftP50Ms - base.ttftP50Ms;
        figures.addedTtftP99Ms = figures.ttftP99Ms - base.ttftP99Ms;
      });
    }
    const summary = summarizeTargets(byTarget);
    for (const [id, entry] of Object.entries(summary)) {
      // Errors are summed, not a median: one failed stream in any round is a failure.
      entry.totalErrors = entry.rounds.reduce((sum, figures) => sum + (figures.errors ?? 0), 0);
      entry.idleRssMb = idle[id];
      entry.peakRssMb = Math.max(...entry.rounds.map((figures) => figures.peakRssMb ?? 0)) || undefined;
    }
    return {
      params: { streams, rampMs: STREAM_RAMP_MS, upstream: profile, prompt: STREAM_PROMPT },
      notes: set.notes,
      targets: summary,
    };
  } finally {
    await set.stop();
  }
}

/** E: router.plan() timed in a process on the gateway core. */
export async function scenarioE(context) {
  const iterations = context.options.quick ? 2_000 : 20_000;
  const runs = [];
  for (let round = 0; round < context.options.rounds; round++) {
    const { stdout } = await runWorker({
      name: 'route timing',
      core: GATEWAY_CORE,
      args: [
        join(ROOT, 'bench/workers/route-timing.mjs'),
        '--models',
        '500',
        '--iterations',
        String(iterations),
      ],
    });
    runs.push(lastJson(stdout));
    context.log(`    round ${round + 1}: auto median ${runs.at(-1).cases.auto.medianUs.toFixed(1)} µs`);
  }
  const cases = {};
  for (const name of Object.keys(runs[0].cases)) {
    cases[name] = {
      medianUs: median(runs.map((run) => run.cases[name].medianUs)),
      p99Us: median(runs.map((run) => run.cases[name].p99Us)),
      meanUs: median(runs.map((run) => run.cases[name].meanUs)),
      chose: runs[0].cases[name].chose,
    };
  }
  return { params: { models: runs[0].models, iterations }, cases, rounds: runs };
}

/** F: ledger rows/s per backend, in a process on the gateway core. */
export async function scenarioF(context) {
  const rows = context.options.quick ? 5_000 : 100_000;
  const backends = {};
  for (const backend of ['sqlite', 'postgres']) {
    const runs = [];
    for (let round = 0; round < Math.min(context.options.rounds, 3); round++) {
      const { stdout } = await runWorker({
        name: `ledger ${backend}`,
        core: GATEWAY_CORE,
        args: [
          join(ROOT, 'bench/workers/ledger-throughput.mjs'),
          '--backend',
          backend,
          '--rows',
          String(rows),
        ],
      });
      const run = lastJson(stdout);
      runs.push(run);
      if (!run.available) break;
      context.log(`    ${backend} round ${round + 1}: ${Math.round(run.rowsPerS)} rows/s`);
    }
    backends[backend] = runs[0].available
      ? {
          available: true,
          rowsPerS: median(runs.map((run) => run.rowsPerS)),
          appendUs: median(runs.map((run) => run.appendUs)),
          written: runs.at(-1).written,
          rounds: runs,
        }
      : { available: false, reason: runs[0].reason };
  }
  return { params: { rows }, backends };
}

export const RUNNERS = { A: scenarioA, B: scenarioB, C: scenarioC, D: scenarioD, E: scenarioE, F: scenarioF };
