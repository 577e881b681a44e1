import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PriorsJson } from './priors.js';
import { checkPriorsJson, loadPriorsFile } from './priors-file.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-priors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD: PriorsJson = {
  strength: 8,
  models: {
    cheap: { quality: 0.7, costPerQuery: 0.0001, samples: 100 },
    strong: { quality: 0.9, samples: 100 },
  },
  tasks: { quiz: { cheap: { quality: 0.72, samples: 60 } } },
  cascades: { quiz: { chain: ['cheap', 'strong'], minConfidence: 0.64 } },
  verifiers: {
    quiz: {
      cheap: {
        peers: ['peer'],
        features: ['agrees:peer', 'answer_log_chars'],
        intercept: -1,
        weights: [3, 0.1],
      },
    },
  },
};

function file(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

describe('loadPriorsFile', () => {
  it('loads what eval --save-priors writes: priors, cascades and verifiers', async () => {
    const priors = await loadPriorsFile(file('good.json', GOOD));
    expect(priors.get('quiz', 'cheap')?.quality).toBe(0.72);
    expect(priors.get('other', 'strong')?.quality).toBe(0.9);
    expect(priors.cascade('quiz')).toEqual({ chain: ['cheap', 'strong'], minConfidence: 0.64 });
    expect(priors.cascade('other')).toBeUndefined();
    expect(priors.verifier('quiz', 'cheap')?.peers).toEqual(['peer']);
    expect(priors.verifier('quiz', 'strong')).toBeUndefined();
  });

  it('says what is wrong, one line per problem naming the path', async () => {
    const unknownFeature = {
      ...GOOD,
      verifiers: { quiz: { cheap: { peers: [], features: ['vibes'], intercept: 0, weights: [1] } } },
    };
    await expect(loadPriorsFile(file('feature.json', unknownFeature))).rejects.toThrow(
      /^routing\.priors_file \(.*feature\.json\)\.verifiers\.quiz\.cheap\.features\.0: unknown feature "vibes"$/,
    );
    const { problems } = checkPriorsJson(
      { ...GOOD, cascades: { quiz: { chain: [], minConfidence: 2 } } },
      'routing.priors_file',
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^routing\.priors_file\.cascades\.quiz\.chain: /);
    expect(problems[1]).toMatch(/^routing\.priors_file\.cascades\.quiz\.minConfidence: /);
    await expect(loadPriorsFile(join(dir, 'missing.json'))).rejects.toThrow(
      /^routing\.priors_file: cannot read .*missing\.json: no such file$/,
    );
    await expect(loadPriorsFile(file('broken.json', '{"strength": '))).rejects.toThrow(
      /^routing\.priors_file: cannot read .*broken\.json: /,
    );
  });
});
