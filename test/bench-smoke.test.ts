/**
 * The benchmark harness works: a quick run of scenario A (load through the bare proxy and
 * Switchyard, each in its own process) and scenario E (routing over 500 models) writes a
 * report whose figures are real. It checks the harness, not the performance targets — those
 * are for `npm run bench` on a quiet machine.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
let out: string;

interface TargetFigures {
  median: { rps: number; non2xx: number; errors: number };
  rounds: unknown[];
}

interface BenchReport {
  machine: { nproc: number; node: string };
  scenarios: {
    A: { targets: Record<string, TargetFigures> };
    E: {
      params: { models: number };
      cases: Record<string, { medianUs: number; p99Us: number; chose: string }>;
    };
  };
  targets: { id: string; value: number | undefined }[];
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/ is missing: run the tests with `npm test`, which builds first');
  }
  out = mkdtempSync(join(tmpdir(), 'switchyard-bench-smoke-'));
});
afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('npm run bench -- --quick', () => {
  it('measures the bare proxy and Switchyard and writes a Markdown and JSON report', () => {
    const run = spawnSync(
      process.execPath,
      [
        'bench/run.mjs',
        '--quick',
        '--scenarios',
        'A,E',
        '--duration',
        '1',
        '--warmup',
        '1',
        '--rounds',
        '1',
        '--without-portkey',
        '--out',
        out,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 55_000 },
    );
    expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0);

    const files = readdirSync(out);
    const jsonFile = files.find((name) => name.endsWith('-quick.json'));
    const mdFile = files.find((name) => name.endsWith('-quick.md'));
    expect(jsonFile).toBeDefined();
    expect(mdFile).toBeDefined();
    const report = JSON.parse(readFileSync(join(out, jsonFile!), 'utf8')) as BenchReport;

    expect(report.machine.nproc).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    const { targets } = report.scenarios.A;
    for (const id of ['upstream', 'bare', 'switchyard']) {
      const figures = targets[id];
      expect(figures, id).toBeDefined();
      expect(figures!.rounds).toHaveLength(1);
      expect(figures!.median.rps, id).toBeGreaterThan(0);
      expect(figures!.median.non2xx, id).toBe(0);
      expect(figures!.median.errors, id).toBe(0);
    }
    const ratio = report.targets.find((check) => check.id === 'A.vs-bare');
    expect(ratio?.value).toBeGreaterThan(0);

    expect(report.scenarios.E.params.models).toBe(500);
    for (const [name, timing] of Object.entries(report.scenarios.E.cases)) {
      expect(timing.medianUs, name).toBeGreaterThan(0);
      expect(timing.p99Us, name).toBeGreaterThanOrEqual(timing.medianUs);
      expect(timing.chose, name).toMatch(/^model-\d{3}$/);
    }

    const markdown = readFileSync(join(out, mdFile!), 'utf8');
    expect(markdown).toContain('Switchyard ÷ bare');
    expect(markdown).toContain('## E. Routing decision');
    expect(run.stdout).toContain('## A. Throughput');
  }, 60_000);
});
