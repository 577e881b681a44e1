import { describe, expect, it } from 'vitest';
import { scoreConfidence } from '../execution/confidence/index.js';
import { verifyAnswer } from '../execution/confidence/learned-verifier.js';
import { createRandom } from '../mock-upstream/random.js';
import type { EvalRow } from './datasets.js';
import { createScorerMemo, requestOf, resultOf } from './replay.js';
import { createSignalCache, fitVerifier } from './verifier.js';

/** A cheap model that is right when its peer agrees with it, and hedges now and then. */
function rows(count: number, seed: number): EvalRow[] {
  const random = createRandom(seed);
  const out: EvalRow[] = [];
  for (let i = 0; i < count; i++) {
    const right = random.next() < 0.7;
    const letter = random.next() < 0.5 ? 'A' : 'B';
    const other = letter === 'A' ? 'B' : 'A';
    const peerAgrees = right ? random.next() < 0.9 : random.next() < 0.3;
    const hedge = random.next() < 0.2;
    out.push({
      id: `${seed}-${i}`,
      prompt: `Question ${i}: which of ${i} and ${i * 3} is larger? Answer A or B.`,
      task: 'quiz',
      outcomes: {
        cheap: { score: right ? 1 : 0, cost: 0.0001, response: hedge ? `I think ${letter}` : letter },
        peer: { score: peerAgrees === right ? 1 : 0, cost: 0.0001, response: peerAgrees ? letter : other },
      },
    });
  }
  return out;
}

describe('a verifier fitted by the eval', () => {
  it('gives at request time, from its exported weights, the probability it gave in training', () => {
    const train = rows(300, 1);
    const cache = createSignalCache(createScorerMemo());
    const verifier = fitVerifier({ model: 'cheap', peers: ['peer'] }, train, cache);
    const weights = verifier.toWeights();
    expect(weights.features).toEqual(expect.arrayContaining(['agrees:peer', 'overlap:peer']));
    expect(weights.weights).toHaveLength(weights.features.length);
    for (const row of rows(50, 2)) {
      const result = resultOf(row, 'cheap');
      const request = requestOf(row);
      const live = verifyAnswer(weights, {
        request,
        result,
        confidence: scoreConfidence({ request, result }),
        peers: new Map([['peer', row.outcomes.peer?.response ?? '']]),
      });
      expect(live.score).toBeCloseTo(verifier.probability(row), 12);
    }
  });

  it('learns that agreement with the peer means a right answer', () => {
    const cache = createSignalCache(createScorerMemo());
    const verifier = fitVerifier({ model: 'cheap', peers: ['peer'] }, rows(300, 1), cache);
    const test = rows(200, 3);
    const mean = (keep: (row: EvalRow) => boolean) => {
      const kept = test.filter(keep);
      return kept.reduce((s, row) => s + verifier.probability(row), 0) / kept.length;
    };
    const agrees = (row: EvalRow) =>
      row.outcomes.peer?.response === row.outcomes.cheap?.response?.replace('I think ', '');
    expect(mean(agrees)).toBeGreaterThan(mean((row) => !agrees(row)) + 0.3);
  });
});
