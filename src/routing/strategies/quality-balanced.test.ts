import { describe, expect, it } from 'vitest';
import type { RoutePlan } from '../plan.js';
import { ask, priorsOf, registryOf, thrown } from './__fixtures__/registries.js';
import { balanced, balancedWeights } from './balanced.js';
import { createPlanContext } from './plan-context.js';
import { quality } from './quality.js';

const MODELS = registryOf({
  cheap: { tier: 'basic', price: [0.1, 0.4], quality: 0.7, latencyMs: 300 },
  middle: { tier: 'intermediate', price: [1, 4], quality: 0.85, latencyMs: 600 },
  best: { tier: 'expert', price: [15, 75], quality: 0.95, latencyMs: 2_000, context: 8_000 },
  twin: { tier: 'expert', price: [10, 50], quality: 0.95 },
  gone: { tier: 'expert', price: [1, 1], quality: 0.99, undeployed: true },
});
const ALL = [...MODELS.models.values()];

function first(plan: RoutePlan): string | undefined {
  return plan.kind === 'sequence' ? plan.attempts[0]?.model : undefined;
}

describe('quality', () => {
  it.each([
    { name: 'the highest quality; a tie goes to the cheaper (twin)', request: ask('hi'), model: 'twin' },
    { name: 'within the budget', request: ask('hi', { maxCostUsd: 0.002 }), model: 'middle' },
    { name: 'within the context window', request: ask('hi '.repeat(40_000)), model: 'twin' },
  ])('$name', ({ request, model }) => {
    expect(first(quality(request, ALL, {}, MODELS))).toBe(model);
  });

  it('reads learned priors when there are any', () => {
    const priors = priorsOf({ '*': { cheap: [0.9], middle: [0.6], best: [0.5], twin: [0.5] } });
    const plan = quality(ask('hi'), ALL, { priors }, MODELS);
    expect(first(plan)).toBe('cheap');
    expect(plan.reason).toContain('prior 0.900');
  });

  it('an empty candidate list is MODEL_UNAVAILABLE; no fit within budget is BUDGET_EXCEEDED', () => {
    expect(thrown(() => quality(ask('hi'), [], {}, MODELS)).code).toBe('MODEL_UNAVAILABLE');
    expect(thrown(() => quality(ask('hi', { maxCostUsd: 1e-9 }), ALL, {}, MODELS)).code).toBe(
      'BUDGET_EXCEEDED',
    );
  });
});

describe('balanced', () => {
  function withWeights(weights: Record<string, number> | undefined, snapshot = {}) {
    const route = { strategy: 'balanced' as const, ...(weights === undefined ? {} : { weights }) };
    const context = createPlanContext(ask('hi'), ALL, snapshot, MODELS, { route, routeName: 'r' });
    return balanced(context.request, ALL, snapshot, MODELS, context);
  }

  it.each([
    { weights: { quality: 1, cost: 0, latency: 0 }, model: 'twin' },
    { weights: { quality: 0, cost: 1, latency: 0 }, model: 'cheap' },
    { weights: { quality: 0, cost: 0, latency: 1 }, model: 'cheap' },
    { weights: undefined, model: 'middle' },
  ])('weights $weights → $model', ({ weights, model }) => {
    expect(first(withWeights(weights))).toBe(model);
  });

  it('uses live latency from the snapshot over the configured one', () => {
    const snapshot = {
      latencyMs: new Map([
        ['cheap', 5_000],
        ['middle', 100],
      ]),
    };
    expect(first(withWeights({ quality: 0, cost: 0, latency: 1 }, snapshot))).toBe('middle');
  });

  it('explains the utility', () => {
    const plan = withWeights(undefined);
    expect(plan.reason).toMatch(
      /^balanced \(quality 1, cost 1, latency 0\.25\): task=chat .* → middle \(utility -?\d\.\d{3}: quality 0\.850, \$[\d.]+ est\., 600 ms\); 4 fit; skipped 1 without deployments$/,
    );
  });

  it('checks its weights', () => {
    expect(balancedWeights({ strategy: 'balanced', weights: { cost: 2 } })).toEqual({
      quality: 1,
      cost: 2,
      latency: 0.25,
    });
    expect(() => balancedWeights({ strategy: 'balanced', weights: { speed: 1 } })).toThrow(
      /balanced weighs quality, cost and latency/,
    );
    expect(() => balancedWeights({ strategy: 'balanced', weights: { cost: -1 } })).toThrow(/must be >= 0/);
  });
});
