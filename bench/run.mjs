#!/usr/bin/env node
/**
 * @module bench/run
 * `npm run bench`: the overhead benchmark. Builds nothing itself (the npm script builds dist/
 * first), starts every server in its own pinned process, runs the scenarios, and writes
 * bench/results/<date>-<sha>.md and .json with every figure as a ratio to the bare proxy
 * measured in the same run. See bench/README.md.
 */

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chooseLoader } from './lib/loaders.mjs';
import { describeGit, describeMachine } from './lib/machine.mjs';
import { locatePortkey } from './lib/portkey.mjs';
import { GATEWAY_CORE, LOAD_CORE, tasksetAvailable } from './lib/processes.mjs';
import { checkTargets, renderMarkdown } from './lib/report.mjs';
import { RUNNERS, SCENARIOS } from './lib/scenarios.mjs';
import { ADMISSION, ROUTE } from './lib/switchyard-config.mjs';
import { ROOT } from './lib/targets.mjs';

const HELP = `Usage: npm run bench -- [options]

  --scenarios A,B,C,D,E,F   which scenarios to run (default: all)
  --rounds N                measured rounds per target, order alternating (default 5)
  --duration S              seconds per measurement in A, B, C (default 8)
  --warmup S                warm-up seconds per target before the rounds (default 3)
  --streams N               concurrent streams in D (default 1000)
  --with-portkey            install @portkey-ai/gateway@1.15.2 if needed and compare with it
  --without-portkey         leave Portkey out even when it is installed
  --loader autocannon|wrk   throughput load generator in A (default: wrk if installed, else autocannon)
  --out DIR                 where to write the report (default bench/results)
  --quick                   a short run that checks the harness (1 round, 2 s, 100 streams)
  -h, --help

Scenarios:
${Object.entries(SCENARIOS)
  .map(([key, s]) => `  ${key}  ${s.title}`)
  .join('\n')}
`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      streams: { type: 'string' },
      'with-portkey': { type: 'boolean', default: false },
      'without-portkey': { type: 'boolean', default: false },
      loader: { type: 'string' },
      out: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = values.quick;
  const number = (value, fallback, name, min) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) fail(`--${name} expects a number ≥ ${min}, got "${value}"`);
    return n;
  };
  const scenarios = (values.scenarios ?? Object.keys(SCENARIOS).join(','))
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  for (const s of scenarios)
    if (!(s in SCENARIOS)) fail(`unknown scenario "${s}"; choose from ${Object.keys(SCENARIOS).join(', ')}`);
  if (values.loader !== undefined && values.loader !== 'autocannon' && values.loader !== 'wrk') {
    fail(`--loader expects autocannon or wrk, got "${values.loader}"`);
  }
  return {
    quick,
    scenarios,
    rounds: Math.floor(number(values.rounds, quick ? 1 : 5, 'rounds', 1)),
    durationS: number(values.duration, quick ? 2 : 8, 'duration', 1),
    warmupS: number(values.warmup, quick ? 1 : 3, 'warmup', 1),
    streams: Math.floor(number(values.streams, quick ? 100 : 1000, 'streams', 1)),
    withPortkey: values['with-portkey'],
    withoutPortkey: values['without-portkey'],
    loader: values.loader,
    out: resolve(values.out ?? join(ROOT, 'bench/results')),
  };
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n(run with --help for usage)\n`);
  process.exit(2);
}

function log(line) {
  process.stderr.write(`${line}\n`);
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist/cli/main.js')))
    fail('dist/ is missing: run `npm run bench` (it builds first) or `npm run build`');

  const needsLoad = options.scenarios.some((s) => 'ABCD'.includes(s));
  const loader = options.scenarios.includes('A') ? chooseLoader(options.loader) : undefined;
  if (loader?.name === 'autocannon' && !options.quick) {
    // Seen here: with autocannon the bare proxy's core idled (CPU share 0.89) while the load core
    // was saturated, so A measured the load generator and its ratio said 0.51 where wrk said 0.39.
    log(
      'bench: wrk is not installed, so A uses autocannon, which needs far more CPU on the shared load core: ' +
        'the bare proxy may not be saturated and A ratios read too high. Install wrk (apt-get install wrk).',
    );
  }
  let portkey = { error: 'not requested' };
  if (needsLoad && !options.withoutPortkey) {
    if (options.withPortkey) log('bench: locating (or installing) @portkey-ai/gateway…');
    portkey = locatePortkey(ROOT, { install: options.withPortkey });
  }
  const pinning = tasksetAvailable()
    ? `gateway / proxy on core ${GATEWAY_CORE}; mock upstream and load generator on core ${LOAD_CORE} (taskset)`
    : 'NOT PINNED: taskset is missing or not permitted here, so every process shares every core and ratios are noisier';

  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const context = {
    options,
    loader,
    portkey,
    workDir,
    pipelineNotes: new Set(),
    log,
  };
  const results = {
    schema: 'switchyard-bench/1',
    date: new Date().toISOString(),
    git: describeGit(ROOT),
    machine: describeMachine(),
    settings: {
      quick: options.quick,
      scenarios: options.scenarios,
      rounds: options.rounds,
      durationS: options.durationS,
      warmupS: options.warmupS,
      streams: options.streams,
      loader: loader ? `${loader.name} ${loader.version}, pinned to core ${LOAD_CORE}` : 'n/a',
      loadCore: LOAD_CORE,
      pinning,
    },
    pipeline: [],
    portkey: portkey.entry
      ? `@portkey-ai/gateway ${portkey.version} (from npm), headers x-portkey-provider: openai and x-portkey-custom-host`
      : `not measured: ${portkey.error}`,
    scenarios: {},
    targets: [],
    notes: [],
  };

  try {
    for (const key of options.scenarios) {
      log(`bench: scenario ${key} — ${SCENARIOS[key].title}`);
      const started = Date.now();
      try {
        const outcome = await RUNNERS[key](context);
        results.scenarios[key] = { title: SCENARIOS[key].title, ...outcome };
        results.notes.push(...(outcome.notes ?? []));
      } catch (error) {
        results.notes.push(
          `scenario ${key} failed: ${String(error?.message ?? error)
            .split('\n')
            .slice(0, 3)
            .join(' ')}`,
        );
        log(`bench: scenario ${key} failed:\n${error?.stack ?? error}`);
      }
      log(`bench: scenario ${key} took ${Math.round((Date.now() - started) / 1000)} s`);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  results.machineAfter = { loadAverage: describeMachine().loadAverage };
  results.pipeline = [
    'master-key auth',
    `route \`${ROUTE}\` (strategy cheapest over 3 priced models)`,
    'ledger on SQLite (temp dir)',
    'metrics on',
    ...context.pipelineNotes,
    existsSync(join(ROOT, 'dist/admission'))
      ? `budget (daily $${ADMISSION.config.budgets.daily_limit_usd}) and rate limit (${ADMISSION.config.rate_limit.requests_per_minute} rpm) configured`
      : 'budget and rate limit configured, but this build has no admission/ module to enforce them',
  ];
  results.targets = checkTargets(results);

  const markdown = renderMarkdown(results);
  mkdirSync(options.out, { recursive: true });
  const base = `${results.date.slice(0, 10)}-${results.git.sha}${options.quick ? '-quick' : ''}`;
  const mdPath = join(options.out, `${base}.md`);
  const jsonPath = join(options.out, `${base}.json`);
  writeFileSync(mdPath, markdown);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(markdown);
  process.stdout.write(
    `\nwrote ${relative(process.cwd(), mdPath)} and ${relative(process.cwd(), jsonPath)}\n`,
  );
  const failed = Object.keys(results.scenarios).length < options.scenarios.length;
  process.exitCode = failed ? 1 : 0;
}

await main();
