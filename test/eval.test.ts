/**
 * `switchyard eval` on the shared RouterBench and RouteLLM data, replayed offline: every number is
 * out-of-sample (5-fold cross-fitting), and a product strategy must keep 95% of the best single
 * model's accuracy for at most 70% of its cost on each of the four datasets. The data lives beside
 * the repository (`../shared/data`), never in it; without it these tests skip and say why.
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

const DATA = join(import.meta.dirname, '..', '..', 'shared', 'data');
const HAVE_DATA = existsSync(join(DATA, 'routerbench')) && existsSync(join(DATA, 'routellm'));

const DATASETS = [
  { name: 'ARC-Challenge', file: 'routerbench/arc_challenge_train.csv' },
  { name: 'Winogrande', file: 'routerbench/winograde_train.csv' },
  { name: 'MBPP', file: 'routerbench/mbpp_train.csv' },
  { name: 'GSM8K', file: 'routellm/gsm8k_responses.csv' },
] as const;

/** The product strategies; `frugal` is a `fallback` plan with a learned chain, verifier and threshold. */
const PRODUCT = new Set(['cheapest', 'fallback', 'frugal']);

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
    it(`${dataset.name}: a product strategy keeps ≥95% of the best model's accuracy at ≤70% of its cost`, async () => {
      const report = runEval({ test: await loadDataset(join(DATA, dataset.file)) });
      reports.set(dataset.name, report);
      const best = report.summary.best_single;
      const passing = report.summary.strategies.filter((s) => PRODUCT.has(s.strategy) && s.pass);
      expect(passing.map((s) => s.strategy)).not.toEqual([]);
      for (const s of passing) {
        expect(s.best_point!.accuracy).toBeGreaterThanOrEqual(0.95 * best.accuracy);
        expect(s.best_point!.cost_per_query).toBeLessThanOrEqual(0.7 * best.cost_per_query);
      }
      // The learned cascade beats a random mix of the cheapest and strongest model over the cost range.
      const aiqOf = (name: string) => report.summary.strategies.find((s) => s.strategy === name)!.aiq;
      expect(aiqOf('frugal')).toBeGreaterThan(aiqOf('random'));
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
    const frugal = report.summary.strategies.find((s) => s.strategy === 'frugal')!;
    const random = report.summary.strategies.find((s) => s.strategy === 'random')!;
    expect(random.apgr).toBeCloseTo(0.5, 2);
    expect(frugal.apgr).toBeGreaterThan(random.apgr!);
    expect(frugal.cpt50).toBeLessThan(random.cpt50!);
  });

  it('renders the table and a readable SVG', () => {
    const report = reports.get('ARC-Challenge')!;
    const table = renderEvalReport(report);
    expect(table).toMatch(/gpt-4-1106-preview/);
    expect(table).toMatch(/oracle/);
    expect(table).toMatch(/frugal .* PASS/);
    const svg = renderPlotSvg(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    for (const name of [
      'random',
      'cheapest',
      'fallback',
      'agreement',
      'frugal',
      'oracle',
      'cost per query',
    ]) {
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
    const frugal = report.summary.strategies.find((s) => s.strategy === 'frugal')!;
    expect(frugal.pass).toBe(true);
    expect(readFileSync(join(dir, 'plot.svg'), 'utf8')).toContain('</svg>');
    const priors = JSON.parse(readFileSync(join(dir, 'priors.json'), 'utf8')) as {
      tasks: Record<string, unknown>;
    };
    expect(Object.keys(priors.tasks)).toEqual(['quiz']);
  });
});
