import { describe, expect, it } from 'vitest';
import type { PlannedAttempt, RoutePlan } from '../routing/plan.js';
import { learnPriors } from '../routing/priors.js';
import type { EvalRow } from './datasets.js';
import { type ReplayContext, replayPlan } from './replay.js';
import { createReplayRegistry } from './replay-registry.js';

const REFUSAL = "I'm sorry, but I can't help with that.";
const row: EvalRow = {
  id: 'r1',
  prompt: 'Which planet is largest? A) Mars B) Jupiter',
  task: 'quiz',
  outcomes: {
    tiny: { score: 0, cost: 0.0001, response: 'A' },
    shy: { score: 0, cost: 0.0001, response: REFUSAL },
    small: { score: 1, cost: 0.0002, response: 'B' },
    peer: { score: 1, cost: 0.0003, response: 'B' },
    big: { score: 1, cost: 0.01, response: 'B' },
    silent: { cost: 0.005 },
  },
};

const models = Object.keys(row.outcomes);
const priors = learnPriors(
  models.map((model) => ({ task: 'quiz', model, score: model === 'big' ? 0.9 : 0.5, cost: 0.001 })),
);
const context: ReplayContext = {
  ...createReplayRegistry(models, priors),
  costOf: (r, model) => r.outcomes[model]?.cost ?? 0,
  qualityOf: (model) => (model === 'big' ? 0.9 : 0.5),
};

function sequence(steps: (string | PlannedAttempt)[], minConfidence?: number): RoutePlan {
  return {
    kind: 'sequence',
    strategy: 'fallback',
    attempts: steps.map((step) => (typeof step === 'string' ? { model: step } : step)),
    ...(minConfidence === undefined ? {} : { escalate: { minConfidence } }),
    reason: 'test',
  };
}

/** A step whose verifier reads only agreement with `peer`: ≈1 when they agree, ≈0 when not. */
function checkedBy(model: string, peer: string): PlannedAttempt {
  return {
    model,
    verifier: {
      task: 'quiz',
      weights: { peers: [peer], features: [`agrees:${peer}`], intercept: -10, weights: [20] },
    },
  };
}

describe('replayPlan', () => {
  it('a plain sequence answers with its first step and pays only that', async () => {
    const outcome = await replayPlan(sequence(['tiny', 'big']), row, context);
    expect(outcome).toEqual({ score: 0, cost: 0.0001, called: ['tiny'], answeredBy: 'tiny' });
  });

  it('a step without a recorded answer fails over to the next, and is still paid', async () => {
    const outcome = await replayPlan(sequence(['silent', 'small']), row, context);
    expect(outcome.answeredBy).toBe('small');
    expect(outcome.cost).toBeCloseTo(0.0052, 12);
  });

  it('a cascade escalates past an answer the confidence scorers flag (a refusal) and stops at a normal one', async () => {
    const outcome = await replayPlan(sequence(['shy', 'small', 'big'], 0.6), row, context);
    expect(outcome.answeredBy).toBe('small');
    expect(outcome.called).toEqual(['shy', 'small']);
    expect(outcome.cost).toBeCloseTo(0.0003, 12);
  });

  it("a step with a learned verifier asks its peer, pays it, and is judged by the verifier's probability", async () => {
    // small agrees with peer: accepted.
    const agreed = await replayPlan(sequence([checkedBy('small', 'peer'), 'big'], 0.5), row, context);
    expect(agreed.answeredBy).toBe('small');
    expect(agreed.called).toEqual(['small', 'peer']);
    expect(agreed.cost).toBeCloseTo(0.0005, 12);
    // tiny does not: escalated to big, every call paid.
    const escalated = await replayPlan(sequence([checkedBy('tiny', 'peer'), 'big'], 0.5), row, context);
    expect(escalated.answeredBy).toBe('big');
    expect(escalated.score).toBe(1);
    expect(escalated.called).toEqual(['tiny', 'peer', 'big']);
    expect(escalated.cost).toBeCloseTo(0.0104, 12);
  });

  it('a cascade where no step is confident returns the most confident answer, after paying for all', async () => {
    const outcome = await replayPlan(sequence(['shy', 'tiny'], 0.95), row, context);
    expect(outcome.answeredBy).toBe('tiny');
    expect(outcome.called).toEqual(['shy', 'tiny']);
  });

  it('a parallel plan pays every member and picks by vote', async () => {
    const plan: RoutePlan = {
      kind: 'parallel',
      strategy: 'ensemble',
      members: [{ model: 'tiny' }, { model: 'small' }, { model: 'peer' }],
      select: 'vote',
      reason: 'test',
    };
    const outcome = await replayPlan(plan, row, context);
    expect(outcome.score).toBe(1);
    expect(outcome.cost).toBeCloseTo(0.0006, 12);
  });

  it('a parallel plan selecting by confidence weighs it by model quality', async () => {
    const plan: RoutePlan = {
      kind: 'parallel',
      strategy: 'ensemble',
      members: [{ model: 'tiny' }, { model: 'big' }],
      select: 'confidence',
      reason: 'test',
    };
    // Both answers look normal to the scorers; big's quality decides.
    expect((await replayPlan(plan, row, context)).answeredBy).toBe('big');
  });
});
