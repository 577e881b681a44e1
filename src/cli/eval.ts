/**
 * @module cli/eval
 * `switchyard eval --test FILE [--train FILE] [--strategy S]… [--json] [--plot FILE.svg]`: replays
 * a dataset of recorded model outcomes through the routing methods offline (no network) and
 * prints a cost–quality table — single models, a random router and the oracle beside each
 * strategy's best point that keeps 95% of the best model's accuracy, with PASS/FAIL against
 * "at most 70% of its cost", and each product strategy as a gateway would run it (settings learned
 * from the training rows only). `--json` prints the report for scripts, `--plot` writes an SVG
 * chart, `--save-priors` writes what was learned from the training data — model priors, learned
 * cascades and verifiers — for a gateway's `routing.priors_file`.
 */

import { writeFile } from 'node:fs/promises';
import { type EvalDataset, loadDataset } from '../eval/datasets.js';
import { type EvalReport, runEval } from '../eval/harness.js';
import { METHODS } from '../eval/methods.js';
import { renderPlotSvg } from '../eval/plot-svg.js';
import type { PriorsJson } from '../routing/priors.js';
import { fail } from './load.js';
import { renderTable } from './table.js';

export interface EvalCommandOptions {
  test: string;
  train?: string;
  strategy?: string[];
  json?: boolean;
  plot?: string;
  folds?: string;
  seed?: string;
  exclude?: string;
  points?: boolean;
  savePriors?: string;
}

function integer(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) fail(`${flag} expects an integer ≥ ${min}, got "${value}"`);
  return parsed;
}

function usd(value: number): string {
  if (value === 0) return '$0';
  const digits = Math.min(10, Math.max(4, -Math.floor(Math.log10(value)) + 2));
  return `$${value.toFixed(digits)}`;
}

function share(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${(value * 100).toFixed(1)}%`;
}

/** A progress bar on stderr, only when stderr is a terminal (never in pipes or CI logs). */
function progressBar(): { update(done: number, total: number): void; clear(): void } {
  const stream = process.stderr;
  if (!stream.isTTY) return { update() {}, clear() {} };
  const width = 30;
  return {
    update(done, total) {
      const filled = Math.round((done / Math.max(1, total)) * width);
      stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round((done / Math.max(1, total)) * 100)}% replaying`,
      );
    },
    clear() {
      stream.write(`\r${' '.repeat(width + 20)}\r`);
    },
  };
}

/** The terminal report: models and baselines, then each strategy against the target. */
export function renderEvalReport(report: EvalReport, options: { points?: boolean } = {}): string {
  const { summary, dataset } = report;
  const best = summary.best_single;
  const lines: string[] = [];
  lines.push(
    `switchyard eval: ${dataset.name} (${dataset.format}; ${dataset.evaluated_rows} of ${dataset.rows} prompts scored by every model; ${dataset.models.length} models; tasks: ${dataset.tasks.join(', ')})`,
  );
  lines.push(`protocol: ${dataset.protocol}`);
  for (const note of dataset.notes) lines.push(`note: ${note}`);
  lines.push('');
  const baseline = [
    ...[...report.single_models]
      .sort((a, b) => a.cost_per_query - b.cost_per_query)
      .map((s) => [
        'single',
        s.model,
        s.accuracy.toFixed(3),
        share(s.accuracy / best.accuracy),
        usd(s.cost_per_query),
        share(s.cost_per_query / best.cost_per_query),
      ]),
    [
      'oracle',
      'per-prompt cheapest correct model',
      report.oracle.accuracy.toFixed(3),
      share(report.oracle.accuracy / best.accuracy),
      usd(report.oracle.cost_per_query),
      share(report.oracle.cost_per_query / best.cost_per_query),
    ],
  ];
  lines.push(renderTable(['method', 'model', 'accuracy', 'of best', '$/query', 'of best'], baseline));
  lines.push('');
  lines.push(
    `target: accuracy ≥ ${summary.target.accuracy.toFixed(3)} (${share(summary.target.accuracy_share)} of ${best.model}) at ≤ ${usd(summary.target.cost_per_query)} per query (${share(summary.target.cost_share)} of its cost)`,
  );
  const twoModel = summary.strategies.some((s) => s.apgr !== undefined);
  const rows = summary.strategies.map((s) => {
    const p = s.best_point;
    const row: (string | number)[] = [
      s.strategy,
      p ? p.setting : 'never reaches the accuracy',
      p ? p.accuracy.toFixed(3) : '-',
      share(s.accuracy_ratio),
      p ? usd(p.cost_per_query) : '-',
      share(s.cost_ratio),
      p ? share(p.strong_call_share) : '-',
      s.aiq.toFixed(3),
    ];
    if (twoModel) row.push(s.apgr?.toFixed(3) ?? '-', share(s.cpt50), share(s.cpt80));
    row.push(s.pass ? 'PASS' : 'FAIL');
    return row;
  });
  const headers = [
    'strategy',
    'cheapest setting at target accuracy',
    'accuracy',
    'of best',
    '$/query',
    'of best',
    'strong calls',
    'AIQ',
  ];
  if (twoModel) headers.push('APGR', 'CPT(50%)', 'CPT(80%)');
  headers.push('result');
  lines.push(renderTable(headers, rows));
  const deployed = summary.strategies.filter((s) => s.deployed !== null);
  if (deployed.length > 0) {
    lines.push('');
    lines.push('as a gateway runs them (settings learned from the training rows only):');
    lines.push(
      renderTable(
        ['strategy', 'setting', 'accuracy', 'of best', '$/query', 'of best', 'result'],
        deployed.map((s) => {
          const d = s.deployed!;
          return [
            s.strategy,
            d.setting,
            d.accuracy.toFixed(3),
            share(d.accuracy_ratio),
            usd(d.cost_per_query),
            share(d.cost_ratio),
            d.pass ? 'PASS' : 'FAIL',
          ];
        }),
      ),
    );
  }
  lines.push('');
  lines.push(
    summary.product_pass
      ? 'PASS: a product strategy, as deployed, keeps the target accuracy within the cost target.'
      : 'FAIL: no product strategy, as deployed, keeps the target accuracy within the cost target.',
  );
  if (summary.recommended.length > 0) {
    lines.push('');
    lines.push('learned cascade to deploy (fallback with the learned priors, learned on all training rows):');
    for (const route of summary.recommended) {
      const peers =
        route.verifier.peers.length > 0 ? `, checked against ${route.verifier.peers.join(' + ')}` : '';
      lines.push(
        `  ${route.task}: fallback ${route.chain.join(' → ')}, min_confidence ${route.min_confidence} on the verifier's P(correct)${peers}` +
          ` (train: ${route.train_accuracy.toFixed(3)} at ${share(route.train_cost_per_query / route.strongest.cost_per_query)} of ${route.strongest.model}'s cost)`,
      );
    }
  }
  if (options.points) {
    lines.push('');
    lines.push(
      renderTable(
        ['strategy', 'setting', 'accuracy', '$/query', 'strong calls'],
        report.points.map((p) => [
          p.strategy,
          p.setting,
          p.accuracy.toFixed(3),
          usd(p.cost_per_query),
          share(p.strong_call_share),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

async function load(path: string, exclude: string | undefined): Promise<EvalDataset> {
  try {
    return await loadDataset(path, exclude === undefined ? {} : { excludePath: exclude });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail(`no such file: ${path}`);
    fail((error as Error).message);
  }
}

export async function evalCommand(options: EvalCommandOptions): Promise<void> {
  const folds = integer(options.folds, '--folds', 2);
  const seed = integer(options.seed, '--seed', 0);
  if (options.plot !== undefined && !options.plot.toLowerCase().endsWith('.svg')) {
    fail(
      `--plot writes SVG: give a .svg file name (got "${options.plot}")`,
      'Convert it afterwards if you need PNG, e.g. `convert plot.svg plot.png`.',
    );
  }
  const known = new Set<string>(METHODS);
  for (const strategy of options.strategy ?? []) {
    if (!known.has(strategy)) {
      fail(
        `unknown strategy "${strategy}"`,
        `Known: ${METHODS.join(', ')} (single models, the oracle and the random router always run).`,
      );
    }
  }
  const test = await load(options.test, options.exclude);
  const train = options.train === undefined ? undefined : await load(options.train, options.exclude);
  const bar = progressBar();
  let report: EvalReport;
  let learned: PriorsJson | undefined;
  try {
    report = await runEval(train === undefined ? { test } : { test, train }, {
      ...(options.strategy && options.strategy.length > 0 ? { strategies: options.strategy } : {}),
      ...(folds === undefined ? {} : { folds }),
      ...(seed === undefined ? {} : { seed }),
      onProgress: (done, total) => bar.update(done, total),
      onLearnedPriors: (priors) => {
        learned = priors;
      },
    });
  } catch (error) {
    bar.clear();
    fail((error as Error).message);
  }
  bar.clear();
  if (options.plot !== undefined) await writeFile(options.plot, renderPlotSvg(report), 'utf8');
  if (options.savePriors !== undefined && learned !== undefined) {
    // Learned on --train (or, without it, on all of --test): what `routing.priors_file` loads.
    await writeFile(options.savePriors, `${JSON.stringify(learned, null, 2)}\n`, 'utf8');
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${renderEvalReport(report, { points: options.points ?? false })}\n`);
  if (options.plot !== undefined) process.stdout.write(`plot written to ${options.plot}\n`);
  if (options.savePriors !== undefined) process.stdout.write(`priors written to ${options.savePriors}\n`);
}
