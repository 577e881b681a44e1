import { describe, expect, it } from 'vitest';
import type { RoutePlan } from '../plan.js';
import { ask, registryOf, thrown } from './__fixtures__/registries.js';
import { ensemble } from './ensemble.js';
import { createPlanContext } from './plan-context.js';

const MODELS = registryOf({
  'gpt-mini': { tier: 'basic', capabilities: ['chat', 'classification'], price: [0.15, 0.6], quality: 0.8 },
  'claude-haiku': {
    tier: 'intermediate',
    capabilities: ['chat', 'classification'],
    price: [0.8, 4],
    quality: 0.84,
  },
  'gpt-4o': { tier: 'advanced', capabilities: ['chat', 'classification'], price: [2.5, 10], quality: 0.88 },
  'claude-sonnet': {
    tier: 'advanced',
    capabilities: ['chat', 'classification'],
    price: [3, 15],
    quality: 0.9,
  },
  'claude-opus': { tier: 'expert', capabilities: ['chat'], price: [15, 75], quality: 0.93 },
  'gemini-flash': { tier: 'basic', capabilities: ['chat'], price: [0.1, 0.4], quality: 0.78 },
});
const ALL = [...MODELS.models.values()];

function members(plan: RoutePlan): string[] {
  return plan.kind === 'parallel' ? plan.members.map((m) => m.model) : [];
}

describe('ensemble', () => {
  it('asks three models by default, cheapest strong-enough first, one per family first', () => {
    const plan = ensemble(ask('What is the tallest mountain?'), ALL, {}, MODELS);
    expect(plan.kind).toBe('parallel');
    // All are strong enough for a basic ask: gemini (cheapest), gpt-mini, then claude-haiku (a new family).
    expect(members(plan)).toEqual(['gemini-flash', 'gpt-mini', 'claude-haiku']);
    expect(plan.reason).toMatch(
      /^ensemble: task=chat .*; gemini-flash, gpt-mini, claude-haiku in parallel, select by confidence/,
    );
  });

  it('takes the size from the request', () => {
    expect(members(ensemble(ask('hi', { ensembleSize: 2 }), ALL, {}, MODELS))).toHaveLength(2);
    expect(members(ensemble(ask('hi', { ensembleSize: 5 }), ALL, {}, MODELS))).toHaveLength(5);
  });

  it('tops an advanced ask up with the strongest of the weaker models', () => {
    const plan = ensemble(ask('Design a fault-tolerant payment system'), ALL, {}, MODELS);
    // advanced+: gpt-4o, claude-sonnet, claude-opus (cheapest first, one per family first).
    expect(members(plan)).toEqual(['gpt-4o', 'claude-sonnet', 'claude-opus']);
    const four = ensemble(
      ask('Design a fault-tolerant payment system', { ensembleSize: 4 }),
      ALL,
      {},
      MODELS,
    );
    expect(members(four)).toEqual(['gpt-4o', 'claude-sonnet', 'claude-opus', 'claude-haiku']);
    expect(four.kind === 'parallel' && four.members[3]?.reason).toContain('strongest of the rest');
  });

  it('votes on short or structured answers, picks by confidence otherwise', () => {
    const vote = ensemble(ask('Classify the sentiment of this review: great!'), ALL, {}, MODELS);
    expect(vote.kind === 'parallel' && vote.select).toBe('vote');
    const short = ensemble(ask('Capital of France?', undefined, { maxTokens: 5 }), ALL, {}, MODELS);
    expect(short.kind === 'parallel' && short.select).toBe('vote');
  });

  it("synthesizes with the route's aggregator, whose cost counts", () => {
    const route = {
      strategy: 'ensemble' as const,
      select: 'synthesize' as const,
      aggregator: 'claude-sonnet',
    };
    const context = createPlanContext(ask('hi'), ALL, {}, MODELS, { route, routeName: 'panel' });
    const plan = ensemble(context.request, ALL, {}, MODELS, context);
    expect(plan.kind === 'parallel' && plan.select).toBe('synthesize');
    expect(plan.kind === 'parallel' && plan.aggregator).toBe('claude-sonnet');
    expect(plan.reason).toContain('aggregator claude-sonnet');
  });

  it('picks the strongest fitting model as aggregator when synthesizing without one', () => {
    const route = { strategy: 'ensemble' as const, select: 'synthesize' as const };
    const context = createPlanContext(ask('hi'), ALL, {}, MODELS, { route });
    const plan = ensemble(context.request, ALL, {}, MODELS, context);
    expect(plan.kind === 'parallel' && plan.aggregator).toBe('claude-opus');
  });

  it('keeps members and aggregator within max_cost together', () => {
    // 256 output tokens at basic: gemini ≈ $0.0001, gpt-mini ≈ $0.00016, haiku ≈ $0.001.
    const plan = ensemble(ask('hi', { maxCostUsd: 0.0005 }), ALL, {}, MODELS);
    expect(members(plan)).toEqual(['gemini-flash', 'gpt-mini']);
    expect(plan.reason).toContain('2 of 3 members fit the budget');
  });

  it('fails with BUDGET_EXCEEDED when not even one member fits', () => {
    const error = thrown(() => ensemble(ask('hi', { maxCostUsd: 0.000001 }), ALL, {}, MODELS));
    expect(error.code).toBe('BUDGET_EXCEEDED');
    expect(error.details).toMatchObject({ cheapest: { model: 'gemini-flash' } });
  });

  it('refuses embeddings, empty candidate lists and silly sizes', () => {
    expect(
      thrown(() => ensemble({ model: 'auto', operation: 'embeddings', input: ['x'] }, ALL, {}, MODELS)).code,
    ).toBe('INVALID_REQUEST');
    expect(thrown(() => ensemble(ask('hi'), [], {}, MODELS)).code).toBe('MODEL_UNAVAILABLE');
    expect(thrown(() => ensemble(ask('hi', { ensembleSize: 0 }), ALL, {}, MODELS)).code).toBe(
      'INVALID_REQUEST',
    );
    expect(thrown(() => ensemble(ask('hi', { ensembleSize: 17 }), ALL, {}, MODELS)).code).toBe(
      'INVALID_REQUEST',
    );
  });

  it('with fewer models than asked, uses them all and says so', () => {
    const two = ALL.slice(0, 2);
    const plan = ensemble(ask('hi'), two, {}, MODELS);
    expect(members(plan)).toHaveLength(2);
    expect(plan.reason).toContain('2 of 3 members could be found');
  });
});
