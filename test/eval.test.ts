/**
 * `switchyard eval` on the shared RouterBench and RouteLLM data, replayed offline. Every number is
 * out-of-sample: each dataset is split into 5 seeded folds and each fold is held out in turn,
 * replayed with what was learned on the other four only (priors, learned cascades, verifiers,
 * thresholds). The product `fallback` strategy — planned by the real strategy from the learned
 * priors file and run by the executor's own cascade over the recorded answers — must keep 95% of
 * the best single model's accuracy for at most 70% of its cost on each of the four datasets.
 * The data lives beside the repository (`../shared/data`), never in it; without it these tests
 * skip and say why.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { evalCommand, renderEvalReport } from '../src/cli/eval.js';
import { loadDataset } from '../src/eval/datasets.js';
import { type EvalReport, runEval } from '../src/eval/harness.js';
import { renderPlotSvg } from '../src/eval/plot-svg.js';
import { createRandom } from '../src/mock-upstream/random.js';
import { loadPriorsFile } from '../src/routing/priors-file.js';

const DATA = join(import.meta.dirname, '..', '..', 'shared', 'data');
const HAVE_DATA = existsSync(join(DATA, 'routerbench')) && existsSync(join(DATA, 'routellm'));

const DATASETS = [
  { name: 'ARC-Challenge', file: 'routerbench/arc_challenge_train.csv' },
  { name: 'Winogrande', file: 'routerbench/winograde_train.csv' },
  { name: 'MBPP', file: 'routerbench/mbpp_train.csv' },
  { name: 'GSM8K', file: 'routellm/gsm8k_responses.csv' },
] as const;

function expectDocumentedShape(report: EvalReport): void {
  const json = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
  expect(Object.keys(json)).toEqual(expect.arrayContaining(['single_models', 'oracle', 'points', 'summary']));
  for (const single of json.single_models as Record<string, unknown>[]) {
    expect(Object.keys(single).sort()).toEqual(['accuracy', 'cost_per_query', 'model']);
  }
  expect(json.oracle).toEqual({ accuracy: expect.any(Number), cost_per_query: expect.any(Number) });
  for (const point of json.points as Record<string, unknown>[]) {
    expect(Object.keys(point).sort()).toEqual([
      'accuracy',
      'cost_per_query',
      'setting',
      'strategy',
      'strong_call_share',
    ]);
    expect(point.accuracy).toBeGreaterThanOrEqual(0);
    expect(point.accuracy).toBeLessThanOrEqual(1);
    expect(point.cost_per_query).toBeGreaterThan(0);
  }
  const summary = json.summary as Record<string, unknown>;
  expect(summary).toMatchObject({
    best_single: { model: expect.any(String) },
    target: { accuracy: expect.any(Number), cost_per_query: expect.any(Number) },
    product_pass: expect.any(Boolean),
  });
}

describe.skipIf(!HAVE_DATA)('switchyard eval on the shared datasets (out-of-sample)', () => {
  const reports = new Map<string, EvalReport>();

  for (const dataset of DATASETS) {
    it(`${dataset.name}: fallback as deployed keeps ≥95% of the best model's accuracy at ≤70% of its cost`, async () => {
      const report = await runEval({ test: await loadDataset(join(DATA, dataset.file)) });
      reports.set(dataset.name, report);
      const best = report.summary.best_single;
      const of = (name: string) => report.summary.strategies.find((s) => s.strategy === name)!;
      // The setting a gateway runs with the priors file learned on the training folds — no
      // setting picked by looking at the held-out rows.
      const fallback = of('fallback').deployed!;
      expect(fallback.setting).toBe('learned');
      expect(fallback.accuracy).toBeGreaterThanOrEqual(0.95 * best.accuracy);
      expect(fallback.cost_per_query).toBeLessThanOrEqual(0.7 * best.cost_per_query);
      expect(fallback.pass).toBe(true);
      expect(report.summary.product_pass).toBe(true);
      // `cheapest` is reported but not held to the target: it never escalates, so it can only be
      // as good as one model per task, and on these tasks no model that is cheap enough is within
      // 95% of GPT-4 (the nearest, Yi-34B on ARC, keeps 94%). Its deployed setting says so.
      expect(of('cheapest').deployed).not.toBeNull();
      // The learned cascades beat a random mix of the cheapest and strongest model over the cost range.
      expect(of('fallback').aiq).toBeGreaterThan(of('random').aiq);
      expectDocumentedShape(report);
    }, 120_000);
  }

  it('the oracle dominates every single model and every router', () => {
    expect(reports.size).toBe(DATASETS.length);
    for (const report of reports.values()) {
      const best = report.summary.best_single;
      expect(report.oracle.accuracy).toBeGreaterThanOrEqual(best.accuracy);
      expect(report.oracle.cost_per_query).toBeLessThanOrEqual(best.cost_per_query);
      for (const point of report.points)
        expect(report.oracle.accuracy).toBeGreaterThanOrEqual(point.accuracy - 1e-12);
    }
  });

  it('GSM8K is a two-model dataset: it reports PGR-based metrics, contaminated prompts dropped', () => {
    const report = reports.get('GSM8K')!;
    expect(report.dataset.models).toHaveLength(2);
    expect(report.dataset.notes.join('\n')).toMatch(/dropped 12 prompts/);
    const fallback = report.summary.strategies.find((s) => s.strategy === 'fallback')!;
    const random = report.summary.strategies.find((s) => s.strategy === 'random')!;
    expect(random.apgr).toBeCloseTo(0.5, 2);
    expect(fallback.apgr).toBeGreaterThan(random.apgr!);
    expect(fallback.cpt50).toBeLessThan(random.cpt50!);
  });

  it('renders the table and a readable SVG', () => {
    const report = reports.get('ARC-Challenge')!;
    const table = renderEvalReport(report);
    expect(table).toMatch(/gpt-4-1106-preview/);
    expect(table).toMatch(/oracle/);
    expect(table).toMatch(/fallback +learned .* PASS/);
    const svg = renderPlotSvg(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    for (const name of ['random', 'cheapest', 'fallback', 'agreement', 'oracle', 'cost per query']) {
      expect(svg).toContain(name);
    }
  });
});

if (!HAVE_DATA) {
  describe('switchyard eval on the shared datasets', () => {
    it.skip(`needs ${DATA} (a copy of shared/ beside the repository): not found, so skipped`, () => {});
  });
}

describe('switchyard eval on a user dataset (JSONL, separate train and test files)', () => {
  let dir: string;

  /** Prompts of two kinds: easy ones the cheap model gets right, hard ones only the strong model does. */
  function synthetic(path: string, count: number, seed: number): void {
    const random = createRandom(seed);
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const hard = random.next() < 0.4;
      const cheapRight = hard ? random.next() < 0.2 : random.next() < 0.95;
      const strongRight = random.next() < 0.95;
      const answer = (right: boolean) => (right ? 'B' : 'A');
      lines.push(
        JSON.stringify({
          id: `${seed}-${i}`,
          prompt: hard ? `Hard question ${i} with many steps and numbers 3 5 8 13?` : `Easy question ${i}?`,
          task: 'quiz',
          outcomes: {
            cheap: { score: cheapRight ? 1 : 0, cost: 0.0001, response: answer(cheapRight) },
            peer: { score: hard ? Number(random.next() < 0.3) : 1, cost: 0.0001, response: hard ? 'C' : 'B' },
            strong: { score: strongRight ? 1 : 0, cost: 0.002, response: answer(strongRight) },
          },
        }),
      );
    }
    writeFileSync(path, `${lines.join('\n')}\n`);
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-eval-'));
    synthetic(join(dir, 'train.jsonl'), 400, 1);
    synthetic(join(dir, 'test.jsonl'), 300, 2);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('learns on --train, measures on --test, prints JSON in the documented shape and writes the plot', async () => {
    const output: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
    try {
      await evalCommand({
        test: join(dir, 'test.jsonl'),
        train: join(dir, 'train.jsonl'),
        json: true,
        plot: join(dir, 'plot.svg'),
        savePriors: join(dir, 'priors.json'),
      });
    } finally {
      write.mockRestore();
    }
    const report = JSON.parse(output.join('')) as EvalReport;
    expectDocumentedShape(report);
    expect(report.dataset.protocol).toMatch(/learned on train/);
    expect(report.single_models.map((s) => s.model).sort()).toEqual(['cheap', 'peer', 'strong']);
    // The peer disagrees exactly on the hard prompts: the learned cascade finds that and passes.
    const fallback = report.summary.strategies.find((s) => s.strategy === 'fallback')!;
    expect(fallback.deployed?.pass).toBe(true);
    // A cheap first step (`peer` answers "C" exactly on hard prompts: its own answer gives them away).
    const [route] = report.summary.recommended;
    expect(report.summary.recommended).toHaveLength(1);
    expect(route).toMatchObject({ task: 'quiz', chain: [expect.stringMatching(/^(cheap|peer)$/), 'strong'] });
    expect(route!.verifier.model).toBe(route!.chain[0]);
    expect(readFileSync(join(dir, 'plot.svg'), 'utf8')).toContain('</svg>');
    // What --save-priors wrote is what a gateway's routing.priors_file loads.
    const priors = await loadPriorsFile(join(dir, 'priors.json'));
    expect(priors.tasks()).toEqual(['quiz']);
    expect(priors.cascade('quiz')).toEqual({ chain: route!.chain, minConfidence: route!.min_confidence });
    expect(priors.verifier('quiz', route!.chain[0]!)?.features).toEqual(route!.verifier.features.slice(1));
  });
});
