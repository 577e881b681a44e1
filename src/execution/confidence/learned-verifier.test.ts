import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat.js';
import type { VerifierWeights } from '../../routing/plan.js';
import { answerResult } from './__fixtures__/answers.js';
import { ANSWER_FEATURES, answerFeatures } from './answer-features.js';
import { scoreConfidence } from './index.js';
import { answerSignals, compileFeatures, compileVerifier, verifyAnswer } from './learned-verifier.js';

const request: ChatRequest = {
  model: 'auto',
  stream: false,
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Which is larger, 12 * 3 or 35? Answer A or B.' }] },
  ],
};

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('compileFeatures', () => {
  it('computes each named feature from the answer, the scorers and the peers', () => {
    const answer = '12 * 3 = 36, so the answer is A';
    const confidence = scoreConfidence({ request, result: answerResult(answer) });
    const signals = answerSignals({
      prompt: 'Which is larger, 12 * 3 or 35? Answer A or B.',
      answer,
      confidence,
      peers: new Map([
        ['p1', 'The answer is A'],
        ['p2', 'B'],
      ]),
    });
    const features = compileFeatures(
      [
        'confidence',
        'scorer:hedging',
        'arithmetic_checked',
        'answer=a',
        'agrees:p1',
        'agrees:p2',
        'agrees:all',
      ],
      ['p1', 'p2'],
    )(signals);
    const shape = answerFeatures('Which is larger, 12 * 3 or 35? Answer A or B.', answer);
    expect(features).toEqual([
      confidence.score,
      1,
      shape[ANSWER_FEATURES.indexOf('arithmetic_checked')],
      0,
      // A prose answer against a short one: word overlap, not an exact match.
      signals.agreement('p1'),
      0,
      signals.agreement('p1') * 0,
    ]);
  });

  it('refuses a feature it does not know, or a peer feature for a model that is not a peer', () => {
    expect(() => compileFeatures(['confidence', 'vibes'])).toThrow('features.1: unknown feature "vibes"');
    expect(() => compileFeatures(['agrees:other'], ['p1'])).toThrow(
      'features.0: unknown feature "agrees:other"',
    );
  });
});

describe('verifyAnswer', () => {
  const weights: VerifierWeights = {
    peers: ['peer'],
    features: ['agrees:peer', 'hedging'],
    intercept: -2,
    weights: [4, -1],
  };

  it("is the logistic regression's probability on the answer's features", () => {
    const agreed = verifyAnswer(weights, {
      request,
      result: answerResult('B'),
      confidence: scoreConfidence({ request, result: answerResult('B') }),
      peers: new Map([['peer', 'b.']]),
    });
    expect(agreed.probability).toBeCloseTo(sigmoid(-2 + 4), 3);
    expect(agreed.score).toBeCloseTo(sigmoid(-2 + 4), 12);
    expect(agreed.note).toBe('verifier P(correct) 0.881 (agrees with peer 1)');
    const disagreed = verifyAnswer(weights, {
      request,
      result: answerResult('A'),
      confidence: scoreConfidence({ request, result: answerResult('A') }),
      peers: new Map([['peer', 'B']]),
    });
    expect(disagreed.score).toBeCloseTo(sigmoid(-2), 12);
  });

  it('a red flag the verifier did not learn caps its score; one it learned does not', () => {
    const refusal = answerResult("I'm sorry, but I can't help with that.");
    const confidence = scoreConfidence({ request, result: refusal });
    const capped = verifyAnswer(weights, {
      request,
      result: refusal,
      confidence,
      peers: new Map([['peer', "I'm sorry, but I can't help with that."]]),
    });
    expect(capped.probability).toBeGreaterThan(0.8);
    expect(capped.score).toBe(0.1);
    expect(capped.cap).toEqual({ scorer: 'refusal', score: 0.1 });
    const learned = { ...weights, features: ['agrees:peer', 'scorer:refusal'], weights: [4, 0] };
    const uncapped = verifyAnswer(learned, {
      request,
      result: refusal,
      confidence,
      peers: new Map([['peer', "I'm sorry, but I can't help with that."]]),
    });
    expect(uncapped.score).toBeCloseTo(sigmoid(2), 12);
  });

  it('refuses weights that do not match their features', () => {
    expect(() => compileVerifier({ ...weights, weights: [1] })).toThrow('weights: 1 weights for 2 features');
    expect(() => compileVerifier({ ...weights, intercept: Number.NaN })).toThrow(/finite/);
  });
});
