import { describe, expect, it } from 'vitest';
import type { RoutePlan } from '../plan.js';
import { ask, priorsOf, registryOf, thrown } from './__fixtures__/registries.js';
import { createFallbackStrategy, fallback } from './fallback.js';

const LADDER = registryOf({
  mini: { tier: 'basic', capabilities: ['chat', 'code'], price: [0.15, 0.6], quality: 0.8 },
  haiku: { tier: 'intermediate', capabilities: ['chat', 'code'], price: [0.8, 4], quality: 0.84 },
  // Dearer than haiku and no better: never worth escalating to.
  dud: { tier: 'intermediate', capabilities: ['chat', 'code'], price: [1, 5], quality: 0.83 },
  gpt4o: {
    tier: 'advanced',
    capabilities: ['chat', 'code'],
    price: [2.5, 10],
    quality: 0.88,
    context: 128_000,
  },
  sonnet: { tier: 'advanced', capabilities: ['chat', 'code', 'math'], price: [3, 15], quality: 0.9 },
  opus: { tier: 'expert', capabilities: ['chat', 'code', 'math'], price: [15, 75], quality: 0.93 },
  gone: { tier: 'advanced', price: [0.1, 0.1], quality: 0.99, undeployed: true },
});
const ALL = [...LADDER.models.values()];

function models(plan: RoutePlan): string[] {
  return plan.kind === 'sequence' ? plan.attempts.map((a) => a.model) : [];
}

describe('fallback', () => {
  const uncut = createFallbackStrategy({ maxChainSteps: 10 });
  it.each([
    {
      name: 'a basic ask cascades from the cheapest, skipping dominated models',
      prompt: 'What is 2+2?',
      chain: ['mini', 'haiku', 'gpt4o', 'sonnet', 'opus'],
    },
    {
      name: 'an intermediate ask starts at the intermediate tier',
      prompt: 'Explain how DNS resolution works',
      chain: ['haiku', 'gpt4o', 'sonnet', 'opus'],
    },
    {
      name: 'an expert ask is just the expert model',
      prompt: 'Research and write a comprehensive survey of Byzantine consensus',
      chain: ['opus'],
    },
  ])('$name', ({ prompt, chain }) => {
    expect(models(uncut(ask(prompt), ALL, {}, LADDER))).toEqual(chain);
  });

  it('plans escalation below confidence 0.6 by default, and the request can change it', () => {
    const plan = fallback(ask('What is 2+2?'), ALL, {}, LADDER);
    expect(plan.kind === 'sequence' && plan.escalate).toEqual({ minConfidence: 0.6 });
    const stricter = fallback(ask('What is 2+2?', { minConfidence: 0.8 }), ALL, {}, LADDER);
    expect(stricter.kind === 'sequence' && stricter.escalate).toEqual({ minConfidence: 0.8 });
  });

  it('says which models it left out and why', () => {
    const plan = fallback(ask('What is 2+2?'), ALL, {}, LADDER);
    // Five models on the frontier, cut to four: the cheap start and the strongest end.
    expect(plan.reason).toContain('cascade mini → haiku → gpt4o → opus');
    expect(plan.reason).toContain('chain cut to 4 steps');
    expect(plan.reason).toContain('escalate below confidence 0.6');
    // dud is dearer than haiku and weaker.
    expect(plan.reason).toContain('1 dominated (dearer, not better)');
    expect(plan.reason).toContain('1 without deployments');
    expect(plan.kind === 'sequence' && plan.attempts[1]?.reason).toMatch(
      /^escalation: quality 0\.840 > 0\.800/,
    );
  });

  it('follows an explicit chain in its order', () => {
    const plan = fallback(ask('hi', { chain: ['sonnet', 'mini'] }), ALL, {}, LADDER);
    expect(models(plan)).toEqual(['sonnet', 'mini']);
    expect(plan.reason).toContain('chain sonnet → mini');
  });

  it('skips chain models without a deployment and refuses unknown ones', () => {
    expect(models(fallback(ask('hi', { chain: ['gone', 'mini'] }), ALL, {}, LADDER))).toEqual(['mini']);
    const error = thrown(() => fallback(ask('hi', { chain: ['mini', 'nope'] }), ALL, {}, LADDER));
    expect(error.code).toBe('NOT_FOUND');
  });

  it('leaves out the steps that would pass max_cost, counting what earlier steps may spend', () => {
    // 512 output tokens at intermediate: haiku ≈ $0.0021, gpt4o ≈ $0.0051, sonnet ≈ $0.0077.
    const plan = fallback(ask('Explain how DNS resolution works', { maxCostUsd: 0.008 }), ALL, {}, LADDER);
    expect(models(plan)).toEqual(['haiku', 'gpt4o']);
    expect(plan.reason).toMatch(/sonnet left out \(\$0\.\d+ est\. would pass max \$0\.0080\)/);
  });

  it('fails with BUDGET_EXCEEDED when no step fits', () => {
    const error = thrown(() =>
      fallback(ask('hi', { chain: ['sonnet', 'opus'], maxCostUsd: 0.0001 }), ALL, {}, LADDER),
    );
    expect(error.code).toBe('BUDGET_EXCEEDED');
    expect(error.details).toMatchObject({ cheapest: { model: 'sonnet' } });
  });

  it('an empty candidate list is MODEL_UNAVAILABLE', () => {
    expect(thrown(() => fallback(ask('hi'), [], {}, LADDER)).code).toBe('MODEL_UNAVAILABLE');
  });

  it('cuts a long cascade to its cheap start and its strongest end', () => {
    const plan = createFallbackStrategy({ maxChainSteps: 2 })(ask('What is 2+2?'), ALL, {}, LADDER);
    expect(models(plan)).toEqual(['mini', 'opus']);
    expect(plan.reason).toContain('chain cut to 2 steps');
  });

  it('with priors, orders by learned cost and drops what the priors show dominated', () => {
    // On this task haiku is no better than mini, and sonnet beats opus.
    const priors = priorsOf({
      mbpp: {
        mini: [0.6, 0.0002],
        haiku: [0.6, 0.001],
        dud: [0.5, 0.0015],
        gpt4o: [0.7, 0.003],
        sonnet: [0.8, 0.004],
        opus: [0.78, 0.02],
      },
    });
    const plan = fallback(ask('Write a function', { task: 'mbpp' }), ALL, { priors }, LADDER);
    expect(models(plan)).toEqual(['mini', 'gpt4o', 'sonnet']);
    expect(plan.kind === 'sequence' && plan.attempts[1]?.reason).toContain('escalation: prior 0.700 > 0.600');
  });
});
