#!/usr/bin/env node
/**
 * @module bench/profile
 * The CPU profile helper: finds the gateway's hot spots under the benchmark's own load. Starts
 * the mock upstream (load core) and Switchyard — or the bare proxy, to compare — under
 * `node --cpu-prof` on the gateway core, warms it up, loads it like scenario A (or with waves
 * of streams like D), stops it so V8 writes the profile, and prints where the time went in the
 * load window: by area, top functions by self time, top project functions by inclusive time,
 * with dist/ positions mapped back to src/.
 *
 *   npm run build && node bench/profile.mjs [--target switchyard|bare] [--scenario A|D]
 *                                           [--duration S] [--top N] [--interval-us N]
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyseProfile, renderAnalysis } from './lib/cpu-profile.mjs';
import { chooseLoader, streamRun, throughputRun } from './lib/loaders.mjs';
import { describeMachine } from './lib/machine.mjs';
import { GATEWAY_CORE, listeningUrl, startServer, tasksetAvailable } from './lib/processes.mjs';
import { STREAM_PROFILE, STREAM_RAMP_MS } from './lib/scenarios.mjs';
import { checkTarget, ROOT, STREAM_PROMPT, startMock, startSwitchyard } from './lib/targets.mjs';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'switchyard' },
    scenario: { type: 'string', default: 'A' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    top: { type: 'string', default: '25' },
    'interval-us': { type: 'string', default: '200' },
    loader: { type: 'string' },
    analyse: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'Usage: node bench/profile.mjs [--target switchyard|bare] [--scenario A|D] [--duration S] [--warmup S] [--top N] [--interval-us N] [--loader autocannon|wrk]\n' +
      '       node bench/profile.mjs --analyse FILE.cpuprofile [--top N]   (re-read a profile, all samples)\n',
  );
  process.exit(0);
}
if (values.analyse !== undefined) {
  const analysis = analyseProfile(JSON.parse(readFileSync(values.analyse, 'utf8')), { root: ROOT });
  process.stdout.write(renderAnalysis(analysis, { top: Number(values.top), title: values.analyse }));
  process.exit(0);
}
const scenario = values.scenario.toUpperCase();
if (!['A', 'D'].includes(scenario)) throw new Error('--scenario expects A or D');
if (!['switchyard', 'bare'].includes(values.target)) throw new Error('--target expects switchyard or bare');
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);

const workDir = mkdtempSync(join(tmpdir(), 'switchyard-profile-'));
const profileDir = join(workDir, 'profile');
const nodeArgs = [
  '--cpu-prof',
  `--cpu-prof-dir=${profileDir}`,
  `--cpu-prof-interval=${Number(values['interval-us'])}`,
];

const mock = await startMock(scenario === 'D' ? STREAM_PROFILE : {});
let server;
let target;
if (values.target === 'switchyard') {
  const started = await startSwitchyard(mock.target.url, workDir, { nodeArgs, name: 'profiled' });
  server = started.server;
  target = started.target;
} else {
  server = await startServer({
    name: 'bare proxy',
    core: GATEWAY_CORE,
    args: [...nodeArgs, join(ROOT, 'bench/bare-proxy.mjs'), '--upstream', mock.target.url],
    ready: listeningUrl,
  });
  target = { id: 'bare', url: server.url, headers: {}, model: 'gpt-4o-mini', pid: server.pid };
}
await checkTarget(target, scenario === 'D' ? { stream: true, prompt: STREAM_PROMPT } : {});

const loader = chooseLoader(values.loader);
const load = async (seconds) => {
  if (scenario === 'A') return throughputRun(loader, target, { connections: 50, durationS: seconds });
  const until = Date.now() + seconds * 1000;
  let waves = 0;
  while (Date.now() < until) {
    await streamRun(target, { streams: 1000, rampMs: STREAM_RAMP_MS, prompt: STREAM_PROMPT });
    waves++;
  }
  return { waves };
};

process.stderr.write(`profile: warming up ${values.target} for ${warmupS} s…\n`);
await load(warmupS);
process.stderr.write(`profile: loading ${values.target} (scenario ${scenario}) for ${durationS} s…\n`);
// V8 stamps samples with the same monotonic clock as process.hrtime, in microseconds.
const fromUs = Number(process.hrtime.bigint() / 1000n);
const result = await load(durationS);
const toUs = Number(process.hrtime.bigint() / 1000n);
await server.stop(15_000);
await mock.server.stop();

// One file per thread: CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main one.
const files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
const threadOf = (name) => Number(name.split('.')[4]);
const mainFile = files.find((name) => threadOf(name) === 0);
if (!mainFile)
  throw new Error(`no main-thread .cpuprofile written in ${profileDir}; server output:\n${server.output()}`);
const profilePath = join(profileDir, mainFile);
const analysis = analyseProfile(JSON.parse(readFileSync(profilePath, 'utf8')), { root: ROOT, fromUs, toUs });
const threads = files
  .filter((name) => name !== mainFile)
  .map((name) => {
    const other = analyseProfile(JSON.parse(readFileSync(join(profileDir, name), 'utf8')), {
      root: ROOT,
      fromUs,
      toUs,
    });
    return `- worker thread ${threadOf(name)}: busy ${other.busyPercent.toFixed(1)}% of the load window (top: ${other.self
      .slice(0, 3)
      .map((row) => `${row.name} ${row.percentOfBusy.toFixed(0)}%`)
      .join(', ')}); it shares the gateway core.`;
  });
const machine = describeMachine();
const top = Number(values.top);
process.stdout.write(
  `# CPU profile: ${values.target}, scenario ${scenario}, ${durationS} s\n\n` +
    `${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}; ${tasksetAvailable() ? `server pinned to core ${GATEWAY_CORE}` : 'not pinned'}; load: ${scenario === 'A' ? `${loader.name}, 50 connections, ${Math.round(result.rps)} requests/s under the profiler` : `${result.waves} waves of 1,000 streams`}.\n\n` +
    // A figure that other processes on the machine disturb less than requests/s: the main
    // thread's busy time per request (profiler overhead included; compare like with like).
    (scenario === 'A' && result.rps > 0
      ? `Main thread busy per request: ${((analysis.busyPercent / 100 / result.rps) * 1e6).toFixed(1)} µs (profiler included).\n\n`
      : '') +
    renderAnalysis(analysis, { top, title: 'Main thread: where the time went' }) +
    (threads.length > 0 ? `\n### Other threads\n\n${threads.join('\n')}\n` : '') +
    `\nProfiles kept in ${profileDir} (open them in Chrome DevTools → Performance, or speedscope).\n`,
);
// The profile stays for inspection; the rest of the work dir goes.
for (const name of readdirSync(workDir))
  if (name !== 'profile') rmSync(join(workDir, name), { recursive: true, force: true });
