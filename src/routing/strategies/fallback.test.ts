import { describe, expect, it } from 'vitest';
import type { RoutePlan } from '../plan.js';
import { priorsFromJson } from '../priors.js';
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

describe('fallback with a learned priors file', () => {
  const VERIFIER = {
    peers: ['haiku'],
    features: ['agrees:haiku', 'hedging'],
    intercept: -3,
    weights: [6, -1],
  };
  const learned = priorsFromJson({
    strength: 8,
    models: { mini: { quality: 0.6, samples: 50 }, opus: { quality: 0.9, samples: 50 } },
    tasks: {},
    cascades: { quiz: { chain: ['mini', 'opus'], minConfidence: 0.7321 } },
    verifiers: { quiz: { mini: VERIFIER } },
  });
  const snapshot = { priors: learned };

  it('runs the chain and threshold learned for the task, and attaches the verifier to its step', () => {
    const plan = fallback(ask('Which is right, A or B?', { task: 'quiz' }), ALL, snapshot, LADDER);
    expect(models(plan)).toEqual(['mini', 'opus']);
    expect(plan.kind === 'sequence' && plan.escalate).toEqual({ minConfidence: 0.7321 });
    expect(plan.kind === 'sequence' && plan.attempts[0]?.verifier).toEqual({
      task: 'quiz',
      weights: VERIFIER,
    });
    expect(plan.kind === 'sequence' && plan.attempts[1]?.verifier).toBeUndefined();
    expect(plan.reason).toContain('learned chain mini → opus (escalate below confidence 0.7321 (learned)');
    expect(plan.reason).toContain('learned verifier for mini');
    expect(plan.kind === 'sequence' && plan.attempts[0]?.reason).toContain('learned verifier with haiku');
  });

  it('a threshold or chain the request (or route) sets wins over the learned one; the verifier still applies', () => {
    const threshold = fallback(ask('A or B?', { task: 'quiz', minConfidence: 0.5 }), ALL, snapshot, LADDER);
    expect(threshold.kind === 'sequence' && threshold.escalate).toEqual({ minConfidence: 0.5 });
    const chain = fallback(
      ask('A or B?', { task: 'quiz', chain: ['mini', 'sonnet'] }),
      ALL,
      snapshot,
      LADDER,
    );
    expect(models(chain)).toEqual(['mini', 'sonnet']);
    expect(chain.kind === 'sequence' && chain.escalate).toEqual({ minConfidence: 0.6 });
    expect(chain.kind === 'sequence' && chain.attempts[0]?.verifier?.weights).toBe(VERIFIER);
  });

  it('a task without its own cascade uses the pool (`*`), and none without one', () => {
    const pooled = priorsFromJson({
      ...learned.toJSON(),
      cascades: { '*': { chain: ['haiku', 'sonnet'], minConfidence: 0.4 } },
    });
    expect(models(fallback(ask('A or B?', { task: 'other' }), ALL, { priors: pooled }, LADDER))).toEqual([
      'haiku',
      'sonnet',
    ]);
    // No pool: the automatic chain.
    expect(models(fallback(ask('What is 2+2?', { task: 'other' }), ALL, snapshot, LADDER))[0]).toBe('mini');
    expect(fallback(ask('What is 2+2?', { task: 'other' }), ALL, snapshot, LADDER).reason).toContain(
      '; cascade ',
    );
  });

  it('does not use a learned chain whose model is not a candidate', () => {
    const withoutOpus = ALL.filter((m) => m.name !== 'opus');
    const plan = fallback(ask('A or B?', { task: 'quiz' }), withoutOpus, snapshot, LADDER);
    expect(plan.reason).toContain('learned chain not used: opus is not a candidate');
    expect(plan.reason).toContain('; cascade ');
  });

  it('counts the peers in the budget, and leaves the verifier out when they would not fit', () => {
    // mini ≈ $0.000154 and haiku ≈ $0.000826 for a basic ask (256 output tokens): mini fits, mini + haiku does not.
    const plan = fallback(ask('A or B?', { task: 'quiz', maxCostUsd: 0.0009 }), ALL, snapshot, LADDER);
    expect(models(plan)).toEqual(['mini']);
    expect(plan.kind === 'sequence' && plan.attempts[0]?.verifier).toBeUndefined();
    expect(plan.reason).toContain('mini: learned verifier left out (its peers would pass max $0.00090)');
    expect(plan.kind === 'sequence' && plan.maxCostUsd).toBe(0.0009);
  });

  it('skips a verifier whose peer is not deployed', () => {
    const ghost = priorsFromJson({
      ...learned.toJSON(),
      verifiers: {
        quiz: { mini: { ...VERIFIER, peers: ['gone'], features: ['agrees:gone'], weights: [1] } },
      },
    });
    const plan = fallback(ask('A or B?', { task: 'quiz' }), ALL, { priors: ghost }, LADDER);
    expect(plan.kind === 'sequence' && plan.attempts[0]?.verifier).toBeUndefined();
    expect(plan.reason).toContain('learned verifier not used (peer gone is not deployed)');
  });
});
