import { describe, expect, it } from 'vitest';
import type { RoutePlan } from '../routing/plan.js';
import type { EvalRow } from './datasets.js';
import { type ReplayContext, replayPlan } from './replay.js';

const row: EvalRow = {
  id: 'r1',
  prompt: 'Which planet is largest? A) Mars B) Jupiter',
  task: 'quiz',
  outcomes: {
    tiny: { score: 0, cost: 0.0001, response: 'A' },
    small: { score: 1, cost: 0.0002, response: 'B' },
    peer: { score: 1, cost: 0.0003, response: 'B' },
    big: { score: 1, cost: 0.01, response: 'B' },
    silent: { cost: 0.005 },
  },
};

/** A judge with fixed confidences; `small` is checked against `peer`. */
function context(confidence: Record<string, number>): ReplayContext {
  return {
    judge: {
      peersOf: (_row, model) => (model === 'small' ? ['peer'] : []),
      confidence: (_row, model) => confidence[model] ?? 0,
    },
    costOf: (r, model) => r.outcomes[model]?.cost ?? 0,
    qualityOf: (model) => (model === 'big' ? 0.9 : 0.5),
  };
}

function sequence(models: string[], minConfidence?: number): RoutePlan {
  return {
    kind: 'sequence',
    strategy: 'fallback',
    attempts: models.map((model) => ({ model })),
    ...(minConfidence === undefined ? {} : { escalate: { minConfidence } }),
    reason: 'test',
  };
}

describe('replayPlan', () => {
  it('a plain sequence answers with its first step and pays only that', () => {
    const outcome = replayPlan(sequence(['tiny', 'big']), row, context({}));
    expect(outcome).toEqual({ score: 0, cost: 0.0001, called: ['tiny'], answeredBy: 'tiny' });
  });

  it('a step without a recorded answer fails over to the next, and is still paid', () => {
    const outcome = replayPlan(sequence(['silent', 'small']), row, context({}));
    expect(outcome.answeredBy).toBe('small');
    expect(outcome.cost).toBeCloseTo(0.0052, 12);
  });

  it('a cascade stops at the first confident step, paying its peers once', () => {
    const outcome = replayPlan(
      sequence(['tiny', 'small', 'big'], 0.7),
      row,
      context({ tiny: 0.2, small: 0.8 }),
    );
    expect(outcome.answeredBy).toBe('small');
    expect(outcome.score).toBe(1);
    expect(outcome.called).toEqual(['tiny', 'small', 'peer']);
    expect(outcome.cost).toBeCloseTo(0.0001 + 0.0002 + 0.0003, 12);
  });

  it('a cascade where no step is confident returns the most confident answer, after paying for all', () => {
    const outcome = replayPlan(sequence(['tiny', 'big'], 0.95), row, context({ tiny: 0.6, big: 0.5 }));
    expect(outcome.answeredBy).toBe('tiny');
    expect(outcome.called).toEqual(['tiny', 'big']);
    expect(outcome.cost).toBeCloseTo(0.0101, 12);
  });

  it('a parallel plan pays every member and picks by vote', () => {
    const plan: RoutePlan = {
      kind: 'parallel',
      strategy: 'ensemble',
      members: [{ model: 'tiny' }, { model: 'small' }, { model: 'peer' }],
      select: 'vote',
      reason: 'test',
    };
    const outcome = replayPlan(plan, row, context({}));
    expect(outcome.score).toBe(1);
    expect(outcome.cost).toBeCloseTo(0.0006, 12);
  });

  it('a parallel plan selecting by confidence weighs it by model quality', () => {
    const plan: RoutePlan = {
      kind: 'parallel',
      strategy: 'ensemble',
      members: [{ model: 'tiny' }, { model: 'big' }],
      select: 'confidence',
      reason: 'test',
    };
    // tiny: 0.9 × 0.5 = 0.45; big: 0.6 × 0.9 = 0.54.
    expect(replayPlan(plan, row, context({ tiny: 0.9, big: 0.6 })).answeredBy).toBe('big');
  });
});
