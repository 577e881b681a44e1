/**
 * @module bench/lib/report
 * Turns one run's results into the report: every figure beside the bare proxy's from the same
 * run and the ratio between them, the targets of the overhead issue checked against those
 * ratios, the machine, and the details of every round. Written as Markdown (printed too) and as
 * JSON with every number.
 */

import { ratio } from './stats.mjs';

/** The targets, checked against the medians of this run. */
export function checkTargets(results) {
  const checks = [];
  const a = results.scenarios.A?.targets;
  const b = results.scenarios.B?.targets;
  const c = results.scenarios.C?.targets;
  const d = results.scenarios.D?.targets;
  if (a?.switchyard && a.bare) {
    const value = ratio(a.switchyard.median.rps, a.bare.median.rps);
    checks.push({
      id: 'A.vs-bare',
      text: 'A throughput ≥ 0.75 × bare proxy (aim ≥ 1.0 ×)',
      value,
      unit: '×',
      met: value !== undefined && value >= 0.75,
    });
  }
  if (a?.switchyard && a.portkey) {
    const value = ratio(a.switchyard.median.rps, a.portkey.median.rps);
    checks.push({
      id: 'A.vs-portkey',
      text: 'A throughput ≥ 5 × Portkey',
      value,
      unit: '×',
      met: value !== undefined && value >= 5,
    });
  }
  // Cross-checks of A that other processes on a shared machine disturb less: requests per
  // CPU-second of the server, and the rounds in which nothing else ran on the gateway core.
  for (const [other, threshold] of [
    ['bare', 0.75],
    ['portkey', 5],
  ]) {
    if (!a?.switchyard || !a[other]) continue;
    const perCpu = ratio(a.switchyard.median.rpsPerCpu, a[other].median.rpsPerCpu);
    checks.push({
      id: `A.per-cpu-vs-${other}`,
      text: `cross-check: A requests per CPU-second, Switchyard ÷ ${other === 'bare' ? 'bare proxy' : 'Portkey'} (≥ ${threshold})`,
      value: perCpu,
      unit: '×',
      met: perCpu !== undefined && perCpu >= threshold,
      crossCheck: true,
    });
    const clean = ratio(a.switchyard.cleanMedian?.rps, a[other].cleanMedian?.rps);
    if (clean !== undefined) {
      checks.push({
        id: `A.undisturbed-vs-${other}`,
        text: `cross-check: A throughput in undisturbed rounds, Switchyard ÷ ${other === 'bare' ? 'bare proxy' : 'Portkey'} (≥ ${threshold})`,
        value: clean,
        unit: '×',
        met: clean >= threshold,
        crossCheck: true,
      });
    }
  }
  if (c?.switchyard) {
    const value = c.switchyard.median.addedP50Ms;
    checks.push({
      id: 'C.added-p50',
      text: 'C added latency p50 ≤ 0.5 ms',
      value,
      unit: 'ms',
      met: value !== undefined && value <= 0.5,
    });
  }
  if (b?.switchyard) {
    const value = b.switchyard.median.addedP99Ms;
    checks.push({
      id: 'B.added-p99',
      text: 'B added latency p99 ≤ 5 ms',
      value,
      unit: 'ms',
      met: value !== undefined && value <= 5,
    });
  }
  if (d?.switchyard) {
    const streams = results.scenarios.D.params.streams;
    const errors = d.switchyard.totalErrors;
    checks.push({
      id: 'D.errors',
      text: `D zero errors at ${streams} concurrent streams${streams < 1000 ? ' (target: 1,000)' : ''}`,
      value: errors,
      unit: 'errors',
      met: errors === 0 && streams >= 1000,
    });
    const rss = d.switchyard.peakRssMb;
    checks.push({
      id: 'D.peak-rss',
      text: 'D peak RSS ≤ 200 MB',
      value: rss,
      unit: 'MB',
      met: rss !== undefined && rss <= 200,
    });
  }
  return checks;
}

function fmt(value, digits = 2) {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  if (typeof value !== 'number') return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

function times(value) {
  return value === undefined ? '—' : `${value.toFixed(2)} ×`;
}

/** A ratio only means something between two positive figures (an added latency can come out negative in noise). */
function positiveRatio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && a > 0 && b > 0 ? ratio(a, b) : undefined;
}

/**
 * One row per figure: bare, Switchyard, Switchyard ÷ bare, Portkey, Portkey ÷ bare. For added
 * latencies the ratio says how many times the bare proxy's overhead a gateway adds.
 */
function figureRows(scenario, figures) {
  const t = scenario.targets;
  const rows = [];
  for (const [label, key, digits, compare = true, source = 'median'] of figures) {
    const pick = (entry) => entry?.[source]?.[key];
    const bare = pick(t.bare);
    const sy = pick(t.switchyard);
    const pk = pick(t.portkey);
    const up = pick(t.upstream);
    const versus = (value) => (compare ? times(positiveRatio(value, bare)) : '');
    rows.push(
      `| ${label} | ${fmt(up, digits)} | ${fmt(bare, digits)} | ${fmt(sy, digits)} | ${versus(sy)} | ${t.portkey ? fmt(pk, digits) : 'n/a'} | ${t.portkey ? versus(pk) : 'n/a'} |`,
    );
  }
  return rows;
}

const FIGURE_HEADER = [
  '| Figure (median of rounds) | mock upstream direct | bare proxy | Switchyard | Switchyard ÷ bare | Portkey | Portkey ÷ bare |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];

function roundsTable(scenario, keys) {
  const lines = [
    `| Target | Round | ${keys.join(' | ')} |`,
    `| --- | ---: | ${keys.map(() => '---:').join(' | ')} |`,
  ];
  for (const [id, entry] of Object.entries(scenario.targets)) {
    entry.rounds.forEach((figures, index) => {
      lines.push(`| ${id} | ${index + 1} | ${keys.map((key) => fmt(figures[key])).join(' | ')} |`);
    });
  }
  return lines;
}

function details(summary, lines) {
  return ['<details><summary>' + summary + '</summary>', '', ...lines, '', '</details>'];
}

/** The largest share of the gateway core that other processes took during any measurement. */
export function interference(results) {
  let worst = 0;
  for (const scenario of Object.values(results.scenarios)) {
    for (const entry of Object.values(scenario.targets ?? {})) {
      for (const figures of entry.rounds)
        if (typeof figures.otherCpu === 'number') worst = Math.max(worst, figures.otherCpu);
    }
  }
  return worst;
}

export function renderMarkdown(results) {
  const { machine, git, settings, scenarios } = results;
  const out = [];
  out.push(
    `# Switchyard overhead benchmark — ${results.date.slice(0, 16).replace('T', ' ')} UTC, ${git.sha}${git.dirty ? ' (uncommitted changes)' : ''}`,
  );
  out.push('');
  out.push(
    `**Machine:** ${machine.nproc} cores × ${machine.cpuModel}, ${machine.memoryGb} GB, ${machine.kernel}, Node ${machine.node}; load average ${machine.loadAverage.join(' / ')} at start, ${results.machineAfter?.loadAverage.join(' / ') ?? '—'} at end.`,
  );
  out.push(`**Pinning:** ${settings.pinning}`);
  out.push(
    `**Load:** A: ${settings.loader}; B, C, D: the harness's own clients (undici, µs timing) on core ${settings.loadCore ?? 1}; rounds ${settings.rounds} (order alternates each round), ${settings.durationS} s per measurement, ${settings.warmupS} s warm-up per target${settings.quick ? '; QUICK MODE (smoke test, not a measurement)' : ''}.`,
  );
  out.push(`**Switchyard pipeline:** ${results.pipeline.join('; ')}.`);
  out.push(`**Portkey:** ${results.portkey}.`);
  const worst = interference(results);
  if (worst > 0.05) {
    out.push(
      `**Interference:** other processes took up to ${Math.round(worst * 100)}% of the gateway core during a measurement (see "other processes on the gateway core"); figures from such rounds are disturbed, medians less so.`,
    );
  }
  out.push('');
  out.push(
    'Ratios are to the bare proxy (node:http + undici Pool) measured in the same run. For added latency, "÷ bare" is how many times the bare proxy\'s own overhead a gateway adds.',
  );
  out.push('');

  if (results.targets.length > 0) {
    out.push('## Targets');
    out.push('');
    out.push('| Target | Measured | Met |');
    out.push('| --- | ---: | :---: |');
    for (const check of results.targets)
      out.push(`| ${check.text} | ${fmt(check.value)} ${check.unit} | ${check.met ? 'yes' : '**no**'} |`);
    out.push('');
  }

  const a = scenarios.A;
  if (a) {
    out.push(`## A. Throughput — 0 ms upstream, ${a.params.connections} connections`);
    out.push('');
    out.push(...FIGURE_HEADER);
    out.push(
      ...figureRows(a, [
        ['requests/s', 'rps', 0],
        ['latency p50 (ms)', 'p50Ms', 2],
        ['latency p99 (ms)', 'p99Ms', 2],
        ['server CPU share of its core', 'cpuShare', 2],
        ['requests per CPU-second', 'rpsPerCpu', 0],
        ['requests/s, undisturbed rounds only', 'rps', 0, true, 'cleanMedian'],
        ['undisturbed rounds (other processes < 10% of the gateway core)', 'rounds', 0, false, 'clean'],
        ['load core busy (mock + load generator)', 'loadCoreBusy', 2, false],
        ['other processes on the gateway core', 'otherCpu', 2, false],
        ['non-2xx', 'non2xx', 0, false],
        ['errors', 'errors', 0, false],
      ]),
    );
    out.push('');
    out.push(
      "A CPU share near 1.00 means that server's core was the bottleneck; well below 1.00, the load side was. The mock upstream and the load generator share one core.",
    );
    out.push('');
    out.push(
      ...details(
        'Every round',
        roundsTable(a, ['rps', 'p50Ms', 'p99Ms', 'cpuShare', 'loadCoreBusy', 'otherCpu', 'non2xx', 'errors']),
      ),
    );
    out.push('');
  }
  for (const key of ['B', 'C']) {
    const s = scenarios[key];
    if (!s) continue;
    out.push(
      `## ${key}. Added latency — ${s.params.upstreamLatencyMs} ms upstream, ${s.params.concurrency} concurrent`,
    );
    out.push('');
    out.push(...FIGURE_HEADER);
    out.push(
      ...figureRows(s, [
        ['added latency p50 (ms)', 'addedP50Ms', 3],
        ['added latency p99 (ms)', 'addedP99Ms', 3],
        ['added latency mean (ms)', 'addedMeanMs', 3],
        ['latency p50 (µs)', 'p50Us', 0],
        ['latency p99 (µs)', 'p99Us', 0],
        ['requests/s', 'rps', 0],
        ['server CPU share', 'cpuShare', 2],
        ['other processes on the gateway core', 'otherCpu', 2, false],
      ]),
    );
    out.push('');
    out.push(
      "Added latency is a target's latency minus the mock upstream's own (measured directly, same client, same round).",
    );
    out.push('');
    out.push(
      ...details(
        'Every round',
        roundsTable(s, ['p50Us', 'p99Us', 'addedP50Ms', 'addedP99Ms', 'otherCpu', 'non2xx', 'errors']),
      ),
    );
    out.push('');
  }
  const d = scenarios.D;
  if (d) {
    out.push(
      `## D. ${d.params.streams} concurrent streams, opened over ${d.params.rampMs} ms — upstream: ${d.params.upstream.ttftMs} ms to first token, then ${d.params.upstream.outputTokens} tokens at ${d.params.upstream.tokensPerS} tokens/s`,
    );
    out.push('');
    out.push(...FIGURE_HEADER);
    out.push(
      ...figureRows(d, [
        ['time to first token added p50 (ms)', 'addedTtftP50Ms', 1],
        ['time to first token added p99 (ms)', 'addedTtftP99Ms', 1],
        ['time to first token p50 (ms)', 'ttftP50Ms', 1],
        ['time to first token p99 (ms)', 'ttftP99Ms', 1],
        ['stream duration p50 (ms)', 'totalP50Ms', 1],
        ['wave wall time (ms)', 'wallMs', 0],
        ['server CPU seconds per wave', 'cpuS', 2],
        ['other processes on the gateway core', 'otherCpu', 2, false],
      ]),
    );
    const t = d.targets;
    const row = (label, pick) =>
      `| ${label} | ${fmt(pick(t.upstream), 0)} | ${fmt(pick(t.bare), 0)} | ${fmt(pick(t.switchyard), 0)} | ${times(positiveRatio(pick(t.switchyard), pick(t.bare)))} | ${t.portkey ? fmt(pick(t.portkey), 0) : 'n/a'} | ${t.portkey ? times(positiveRatio(pick(t.portkey), pick(t.bare))) : 'n/a'} |`;
    out.push(row('errors (all rounds)', (e) => e?.totalErrors));
    out.push(
      row('accept-queue drops (kernel ListenOverflows, median per wave)', (e) => e?.median.listenDrops),
    );
    out.push(row('RSS idle (MB)', (e) => e?.idleRssMb));
    out.push(row('peak RSS (MB)', (e) => e?.peakRssMb));
    out.push('');
    const errors = Object.entries(t)
      .flatMap(([id, entry]) =>
        entry.rounds.filter((figures) => figures.firstError).map((figures) => `${id}: ${figures.firstError}`),
      )
      .slice(0, 5);
    if (errors.length > 0)
      out.push('First errors:', '', ...errors.map((e) => `- \`${e.slice(0, 300)}\``), '');
    out.push(
      ...details(
        'Every round',
        roundsTable(d, ['completed', 'errors', 'ttftP50Ms', 'ttftP99Ms', 'totalP50Ms', 'peakRssMb']),
      ),
    );
    out.push('');
  }
  const e = scenarios.E;
  if (e) {
    out.push(
      `## E. Routing decision — ${e.params.models}-model registry, ${e.params.iterations.toLocaleString('en-US')} calls per case`,
    );
    out.push('');
    out.push('| Request | Decision | median (µs) | p99 (µs) | mean (µs) |');
    out.push('| --- | --- | ---: | ---: | ---: |');
    const labels = {
      auto: '`auto` (cheapest over all)',
      route50: 'route `cheapest` over 50 models',
      direct: 'a model by name',
    };
    for (const [name, c] of Object.entries(e.cases))
      out.push(
        `| ${labels[name] ?? name} | ${c.chose ?? ''} | ${fmt(c.medianUs)} | ${fmt(c.p99Us)} | ${fmt(c.meanUs)} |`,
      );
    out.push('');
    out.push(
      'No bare-proxy ratio: a bare proxy makes no routing decision. Timed one call at a time with process.hrtime on the gateway core.',
    );
    out.push('');
  }
  const f = scenarios.F;
  if (f) {
    out.push(`## F. Ledger write throughput — ${f.params.rows.toLocaleString('en-US')} records`);
    out.push('');
    out.push('| Backend | records/s (durable) | append() on the request path (µs) |');
    out.push('| --- | ---: | ---: |');
    for (const [name, backend] of Object.entries(f.backends)) {
      const label = name === 'sqlite' ? 'SQLite (worker-thread writer)' : 'PostgreSQL';
      out.push(
        backend.available
          ? `| ${label} | ${fmt(backend.rowsPerS, 0)} | ${fmt(backend.appendUs, 3)} |`
          : `| ${label} | ${backend.reason} | — |`,
      );
    }
    out.push('');
  }
  if (results.notes.length > 0) {
    out.push('## Notes');
    out.push('');
    for (const note of results.notes) out.push(`- ${note}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
