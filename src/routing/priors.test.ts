import { describe, expect, it } from 'vitest';
import { learnPriors, type PriorObservation, priorsFromJson, priorsFromLedger } from './priors.js';

function outcomes(
  task: string,
  model: string,
  correct: number,
  wrong: number,
  cost: number,
): PriorObservation[] {
  return [
    ...Array.from({ length: correct }, () => ({ task, model, score: 1, cost })),
    ...Array.from({ length: wrong }, () => ({ task, model, score: 0, cost })),
  ];
}

describe('learnPriors', () => {
  const observations = [
    ...outcomes('qa', 'small', 60, 40, 0.001), // 0.6 on 100
    ...outcomes('code', 'small', 4, 0, 0.002), // 4 lucky answers
    ...outcomes('qa', 'big', 90, 10, 0.01),
    ...outcomes('code', 'big', 80, 20, 0.02),
  ];

  it('gives raw means when the shrinkage strength is 0', () => {
    const priors = learnPriors(observations, { strength: 0 });
    expect(priors.get('qa', 'small')?.quality).toBeCloseTo(0.6, 12);
    expect(priors.get('qa', 'small')?.samples).toBe(100);
    expect(priors.get('qa', 'small')?.costPerQuery).toBeCloseTo(0.001, 12);
    expect(priors.get('code', 'small')?.quality).toBe(1);
  });

  it('shrinks a task seen a few times towards the model overall (Beta prior)', () => {
    const priors = learnPriors(observations, { strength: 8 });
    const overall = priors.overall('small')!;
    // The model's 64/104 shrunk towards the global mean (234/304) by 8 pseudo-observations.
    const global = 234 / 304;
    expect(overall.quality).toBeCloseTo((64 + 8 * global) / (104 + 8), 12);
    // 4 of 4 on code becomes (4 + 8 × overall) / 12: far from a perfect score.
    expect(priors.get('code', 'small')!.quality).toBeCloseTo((4 + 8 * overall.quality) / 12, 12);
    expect(priors.get('code', 'small')!.quality).toBeLessThan(priors.get('code', 'big')!.quality);
    // A well-observed task barely moves.
    expect(priors.get('qa', 'big')!.quality).toBeCloseTo(0.9, 1);
  });

  it('falls back to the model overall for unseen tasks and knows nothing of unseen models', () => {
    const priors = learnPriors(observations);
    expect(priors.get('translation', 'big')).toEqual(priors.overall('big'));
    expect(priors.get('qa', 'unknown')).toBeUndefined();
    expect(priors.tasks().sort()).toEqual(['code', 'qa']);
    expect(priors.models().sort()).toEqual(['big', 'small']);
  });

  it('round-trips through JSON', () => {
    const priors = learnPriors(observations);
    const copy = priorsFromJson(JSON.parse(JSON.stringify(priors.toJSON())));
    expect(copy.get('code', 'small')).toEqual(priors.get('code', 'small'));
    expect(copy.get('other', 'big')).toEqual(priors.get('other', 'big'));
  });
});

describe('priorsFromLedger', () => {
  it('learns quality from graded requests, skips failures, and folds ungraded costs in', () => {
    const priors = priorsFromLedger(
      [
        { model: 'a', task: 'qa', status: 'ok', costNanos: 1_000_000, quality: 1 },
        { model: 'a', task: 'qa', status: 'ok', costNanos: 1_000_000, quality: 0 },
        { model: 'a', task: 'qa', status: 'error', costNanos: 5_000_000, quality: 0 },
        { model: 'a', task: 'qa', status: 'ok', costNanos: 4_000_000 },
        { model: 'b', status: 'ok', costNanos: 2_000_000, confidence: 0.9 },
      ],
      { strength: 0 },
    );
    expect(priors.get('qa', 'a')?.quality).toBe(0.5);
    expect(priors.get('qa', 'a')?.samples).toBe(2);
    // Two graded at $0.001 and one ungraded at $0.004.
    expect(priors.get('qa', 'a')?.costPerQuery).toBeCloseTo(0.002, 12);
    expect(priors.get('default', 'b')?.quality).toBeCloseTo(0.9, 12);
    expect(priors.get('default', 'b')?.costPerQuery).toBeCloseTo(0.002, 12);
  });
});
