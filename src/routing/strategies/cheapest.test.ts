import { describe, expect, it } from 'vitest';
import type { RoutingSnapshot } from '../plan.js';
import { ask, priorsOf, registryOf, thrown } from './__fixtures__/registries.js';
import { cheapest, createCheapestStrategy } from './cheapest.js';
import type { PlanRequest } from './plan-context.js';

const LADDER = registryOf({
  tiny: { tier: 'basic', capabilities: ['chat', 'code'], price: [0.1, 0.4], quality: 0.7, context: 8_000 },
  small: {
    tier: 'basic',
    capabilities: ['chat', 'code', 'summarization'],
    price: [0.15, 0.6],
    quality: 0.8,
    context: 128_000,
  },
  mid: {
    tier: 'intermediate',
    capabilities: ['chat', 'code'],
    price: [0.8, 4],
    quality: 0.84,
    context: 200_000,
  },
  big: {
    tier: 'advanced',
    capabilities: ['chat', 'code', 'reasoning', 'math', 'vision'],
    price: [3, 15],
    quality: 0.9,
  },
  huge: {
    tier: 'expert',
    capabilities: ['chat', 'code', 'reasoning', 'math', 'vision'],
    price: [15, 75],
    quality: 0.93,
  },
  off: { tier: 'basic', capabilities: ['chat'], price: [0.01, 0.01], quality: 0.99, undeployed: true },
  embed: { tier: 'basic', capabilities: ['embeddings'], price: [0.02, 0] },
});
const ALL = [...LADDER.models.values()];

function plan(request: PlanRequest, snapshot: RoutingSnapshot = {}, candidates = ALL) {
  return cheapest(request, candidates, snapshot, LADDER);
}

function chosen(request: PlanRequest, snapshot: RoutingSnapshot = {}, candidates = ALL): string | undefined {
  const result = plan(request, snapshot, candidates);
  return result.kind === 'sequence' ? result.attempts[0]?.model : undefined;
}

const LONG = 'Summarize this, please. '.repeat(2_000); // ~12k tokens

describe('cheapest', () => {
  it.each([
    {
      name: 'a basic ask goes to the cheapest deployed basic model',
      request: ask('What is 2+2?'),
      model: 'tiny',
    },
    {
      name: 'an intermediate ask skips the basic models',
      request: ask('Explain how TCP congestion control works'),
      model: 'mid',
    },
    {
      name: 'a task capability is required above basic (math → big)',
      request: ask('Prove that the square root of 2 is irrational'),
      model: 'big',
    },
    {
      name: 'an expert ask goes to the expert model',
      request: ask('Research and write a comprehensive, rigorous survey of consensus protocols'),
      model: 'huge',
    },
    { name: 'the caller may set the tier', request: ask('hi', { tier: 'advanced' }), model: 'big' },
    {
      name: 'the caller may set the task (math at intermediate needs math)',
      request: ask('hi', { task: 'math', tier: 'intermediate' }),
      model: 'big',
    },
    { name: 'a prompt larger than a context window skips that model', request: ask(LONG), model: 'small' },
    {
      name: 'max_tokens counts against the context window',
      request: ask('hi', undefined, { maxTokens: 7_999 }),
      model: 'small',
    },
    {
      name: 'an image needs a vision model when some model has vision',
      request: {
        model: 'auto',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'hi' },
              { type: 'image', url: 'https://example.com/a.png' },
            ],
          },
        ],
      } satisfies PlanRequest,
      model: 'big',
    },
    {
      name: 'a budget skips the models that cannot fit',
      request: ask('Explain how TCP congestion control works', { maxCostUsd: 0.005 }),
      model: 'mid',
    },
  ])('$name', ({ request, model }) => {
    expect(chosen(request)).toBe(model);
  });

  it('says why in the plan: classification, choice, estimate, what was skipped', () => {
    const result = plan(ask('Write a binary search function'));
    expect(result.strategy).toBe('cheapest');
    expect(result.reason).toMatch(
      /^cheapest: task=code \('binary search', 'function'\), tier=intermediate \([^)]*\) → mid \(\$0\.\d+ est\.\); 5 fit \(3 at tier >= intermediate\); skipped 1 without code, 1 without deployments$/,
    );
  });

  it('relaxes the tier to the strongest there is when none reaches it', () => {
    const noExpert = ALL.filter((m) => m.name !== 'huge');
    const result = plan(
      ask('Research and write a comprehensive, rigorous survey of consensus protocols'),
      {},
      noExpert,
    );
    expect(result.kind === 'sequence' && result.attempts[0]?.model).toBe('big');
    expect(result.reason).toContain('no expert model fits; best tier there is: advanced');
  });

  it('keeps within the budget even below the classified tier, and says so', () => {
    const request = ask('Research and write a comprehensive, rigorous survey of consensus protocols', {
      maxCostUsd: 0.01,
    });
    const result = plan(request);
    expect(result.kind === 'sequence' && result.attempts[0]?.model).toBe('mid');
    expect(result.reason).toContain('no expert model fits');
    expect(result.reason).toContain('over budget');
  });

  it('fails with BUDGET_EXCEEDED naming the cheapest estimate when nothing fits', () => {
    const error = thrown(() => plan(ask('What is 2+2?', { maxCostUsd: 0.00001 })));
    expect(error.code).toBe('BUDGET_EXCEEDED');
    expect(error.status).toBe(402);
    expect(error.details).toMatchObject({
      max_cost_usd: 0.00001,
      expected_output_tokens: 256,
      cheapest: { model: 'tiny', estimated_cost_usd: expect.any(Number) },
    });
    const estimate = (error.details?.['cheapest'] as { estimated_cost_usd: number } | undefined)
      ?.estimated_cost_usd;
    expect(estimate).toBeGreaterThan(0.00001);
    expect(error.message).toContain('cheapest estimate tiny');
  });

  it('with max_tokens the budget estimate uses it instead of the tier default', () => {
    // 10 output tokens at $0.4/M plus a tiny prompt fits $0.00001.
    expect(chosen(ask('What is 2+2?', { maxCostUsd: 0.00001 }, { maxTokens: 10 }))).toBe('tiny');
  });

  it('an empty candidate list is MODEL_UNAVAILABLE', () => {
    const error = thrown(() => plan(ask('hi'), {}, []));
    expect(error.code).toBe('MODEL_UNAVAILABLE');
    expect(error.message).toContain('no candidate models');
  });

  it('candidates without deployments are MODEL_UNAVAILABLE', () => {
    const error = thrown(() =>
      plan(
        ask('hi'),
        {},
        ALL.filter((m) => m.name === 'off'),
      ),
    );
    expect(error.code).toBe('MODEL_UNAVAILABLE');
  });

  it('a prompt no context window holds is TOKEN_LIMIT_EXCEEDED', () => {
    const error = thrown(() =>
      plan(
        ask(LONG),
        {},
        ALL.filter((m) => m.name === 'tiny'),
      ),
    );
    expect(error.code).toBe('TOKEN_LIMIT_EXCEEDED');
  });

  it('serves embeddings only from embeddings models', () => {
    expect(chosen({ model: 'auto', operation: 'embeddings', input: ['hello'] })).toBe('embed');
    const error = thrown(() =>
      plan({ model: 'auto', operation: 'embeddings', input: ['x'] }, {}, ALL.slice(0, 3)),
    );
    expect(error.code).toBe('MODEL_UNAVAILABLE');
  });

  describe('ties', () => {
    const TIED = registryOf({
      b: { price: [1, 1], quality: 0.8 },
      a: { price: [1, 1], quality: 0.8 },
      c: { price: [1, 1], quality: 0.9 },
      d: { price: [1, 1], quality: 0.8 },
    });
    const models = [...TIED.models.values()];
    it('same price: the higher quality wins', () => {
      const result = cheapest(ask('hi'), models, {}, TIED);
      expect(result.kind === 'sequence' && result.attempts[0]?.model).toBe('c');
    });
    it('same price and quality: the name decides, whatever the order', () => {
      const withoutC = models.filter((m) => m.name !== 'c');
      const forward = cheapest(ask('hi'), withoutC, {}, TIED);
      const backward = cheapest(ask('hi'), [...withoutC].reverse(), {}, TIED);
      expect(forward.kind === 'sequence' && forward.attempts[0]?.model).toBe('a');
      expect(backward.kind === 'sequence' && backward.attempts[0]?.model).toBe('a');
    });
  });

  describe('open circuits', () => {
    it('passes over a model whose every deployment is open', () => {
      const tiny = LADDER.get('tiny')!;
      const snapshot = { openCircuits: new Set(tiny.deployments.map((d) => d.id)) };
      expect(chosen(ask('hi'), snapshot)).toBe('small');
      expect(plan(ask('hi'), snapshot).reason).toContain('1 with open circuits');
    });
    it('keeps them when every fitting model is open, for the breakers to probe', () => {
      const snapshot = { openCircuits: new Set(LADDER.deployments().map((d) => d.id)) };
      expect(chosen(ask('hi'), snapshot)).toBe('tiny');
      expect(plan(ask('hi'), snapshot).reason).toContain('kept for probing');
    });
  });

  describe('with learned priors', () => {
    // On "mbpp", tiny is nearly as good as the best and far cheaper; on "arc" it is not.
    const priors = priorsOf({
      mbpp: {
        tiny: [0.7, 0.0001],
        small: [0.73, 0.0002],
        mid: [0.74, 0.001],
        big: [0.75, 0.01],
        huge: [0.76, 0.05],
      },
      arc: {
        tiny: [0.5, 0.0001],
        small: [0.6, 0.0002],
        mid: [0.8, 0.001],
        big: [0.9, 0.01],
        huge: [0.93, 0.05],
      },
    });
    const snapshot = { priors };
    it.each([
      { task: 'mbpp', tolerance: 0.95, model: 'small' },
      { task: 'mbpp', tolerance: 0.9, model: 'tiny' },
      { task: 'mbpp', tolerance: 1, model: 'huge' },
      { task: 'arc', tolerance: 0.95, model: 'big' },
      { task: 'arc', tolerance: 0.85, model: 'mid' },
    ])('task $task, tolerance $tolerance → $model', ({ task, tolerance, model }) => {
      const strategy = createCheapestStrategy({ qualityTolerance: tolerance });
      const result = strategy(ask('Question text', { task }), ALL, snapshot, LADDER);
      expect(result.kind === 'sequence' && result.attempts[0]?.model).toBe(model);
      expect(result.reason).toContain('priors →');
    });
    it('the default tolerance is 0.95 of the best prior', () => {
      const result = cheapest(ask('Question text', { task: 'mbpp' }), ALL, snapshot, LADDER);
      expect(result.kind === 'sequence' && result.attempts[0]?.model).toBe('small');
      expect(result.reason).toMatch(/prior 0\.730 >= 0\.95 x best 0\.760/);
    });
    it('priors that know none of the candidates leave the tier rule in charge', () => {
      const unknown = { priors: priorsOf({ mbpp: { other: [0.9] } }) };
      const result = cheapest(ask('What is 2+2?', { task: 'mbpp', tier: 'basic' }), ALL, unknown, LADDER);
      expect(result.kind === 'sequence' && result.attempts[0]?.model).toBe('tiny');
      expect(result.reason).not.toContain('priors');
    });
  });
});
