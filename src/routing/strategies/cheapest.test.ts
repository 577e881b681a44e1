import { describe, expect, it } from 'vitest';
import type { ModelEntry, Registry } from '../../registry/registry.js';
import { tierAt } from '../classify/tasks.js';
import type { RoutePlan, RoutingSnapshot } from '../plan.js';
import { ask, priorsOf, registryOf, thrown } from './__fixtures__/registries.js';
import { cheapest, createCheapestStrategy } from './cheapest.js';
import { createPlanContext, formatUsd, type PlanContext, type PlanRequest } from './plan-context.js';
import { describeSkips, nothingFits, screen } from './screen.js';

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

describe('cheapest: the texts of a plan by tier', () => {
  /**
   * The plan by tier as it was made before its texts were kept from one plan to the next: every
   * text built afresh from the request's own context.
   */
  function afresh(
    request: PlanRequest,
    candidates: readonly ModelEntry[],
    snapshot: RoutingSnapshot,
    registry: Registry,
  ): RoutePlan {
    const context = createPlanContext(request, candidates, snapshot, registry);
    const screened = screen(context);
    if (screened.fit.length === 0) throw nothingFits(context, screened, 'cheapest');
    const need = context.need();
    const { fit, cost } = screened;
    const better = (c: PlanContext, a: number, costA: number, b: number, costB: number): boolean => {
      if (costA !== costB) return costA < costB;
      if (c.quality(a) !== c.quality(b)) return c.quality(a) > c.quality(b);
      return c.set.models[a]!.name < c.set.models[b]!.name;
    };
    let best = -1;
    let atTier = 0;
    let fallback = -1;
    let highest = -1;
    for (let k = 0; k < fit.length; k++) {
      const i = fit[k]!;
      const tier = context.set.tier[i]!;
      if (tier >= need.minTier) {
        atTier++;
        if (best === -1 || better(context, i, cost[k]!, fit[best]!, cost[best]!)) best = k;
      } else if (
        tier > highest ||
        (tier === highest && better(context, i, cost[k]!, fit[fallback]!, cost[fallback]!))
      ) {
        highest = tier;
        fallback = k;
      }
    }
    const relaxedTo = best === -1 ? highest : undefined;
    if (best === -1) best = fallback;
    const name = context.set.models[fit[best]!]!.name;
    const tierName = tierAt(need.minTier);
    const relaxed =
      relaxedTo === undefined ? '' : ` (no ${tierName} model fits; best tier there is: ${tierAt(relaxedTo)})`;
    const c = context.classification();
    const described =
      context.operation === 'embeddings'
        ? 'embeddings'
        : `task=${c.task} (${c.taskWhy.join(', ')}), tier=${c.tier} (${c.tierWhy.join(', ')})`;
    const skipped = describeSkips(screened.skips, need);
    let notes =
      relaxedTo === undefined ? `${fit.length} fit (${atTier} at tier >= ${tierName})` : `${fit.length} fit`;
    if (skipped !== '') notes += `; ${skipped}`;
    if (screened.circuitNote !== undefined) notes += `; ${screened.circuitNote}`;
    return {
      kind: 'sequence',
      strategy: 'cheapest',
      attempts: [
        {
          model: name,
          reason: `cheapest with ${need.label} at tier >= ${relaxedTo === undefined ? tierName : tierAt(relaxedTo)}`,
        },
      ],
      reason: `cheapest: ${described} → ${name} (${formatUsd(cost[best]!)} est.)${relaxed}; ${notes}`,
    };
  }

  it('are what they would be if made afresh, whatever was planned before', () => {
    let state = 99;
    const random = () => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return state / 2 ** 32;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const prompts = [
      'What is 2+2?',
      'What is 2+3?',
      'hi',
      'Write a binary search function',
      'Explain how TCP congestion control works',
      'Prove that the square root of 2 is irrational',
      'Research and write a comprehensive, rigorous survey of consensus protocols',
      LONG,
    ];
    const noExpert = ALL.filter((m) => m.name !== 'huge');
    const chatOnly = ALL.filter((m) => m.name !== 'embed');
    const tinyDeployments = LADDER.get('tiny')!.deployments.map((d) => d.id);
    let previous: PlanRequest = ask('What is 2+2?');
    for (let run = 0; run < 4_000; run++) {
      // Most requests repeat the one before with one thing changed, so that a text kept for the
      // wrong request would show.
      let request: PlanRequest = previous;
      const change = Math.floor(random() * 9);
      if (change === 0) request = ask(pick(prompts));
      if (change === 1) request = { ...request, routing: { maxCostUsd: pick([0.00001, 0.0005, 0.005, 1]) } };
      if (change === 2) request = { ...request, maxTokens: pick([10, 500, 7_999, 100_000]) };
      if (change === 3)
        request = { ...request, routing: { tier: pick(['basic', 'intermediate', 'expert']) } };
      if (change === 4) request = { ...request, routing: { task: pick(['math', 'code', 'vision', 'chat']) } };
      if (change === 5) {
        const text = pick(prompts);
        request = {
          model: 'auto',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text },
                { type: 'image', url: 'https://example.com/a.png' },
              ],
            },
          ],
        };
      }
      if (change === 6) request = { model: 'auto', operation: 'embeddings', input: [pick(prompts)] };
      const candidates = pick([ALL, ALL, noExpert, chatOnly, ALL.slice(0, 3)]);
      const snapshot: RoutingSnapshot = pick([
        {},
        {},
        { openCircuits: new Set(tinyDeployments) },
        { openCircuits: new Set(LADDER.deployments().map((d) => d.id)) },
      ]);
      let expected: RoutePlan | string;
      try {
        expected = afresh(request, candidates, snapshot, LADDER);
      } catch (error) {
        expected = (error as Error).message;
      }
      let actual: RoutePlan | string;
      try {
        actual = cheapest(request, candidates, snapshot, LADDER);
      } catch (error) {
        actual = (error as Error).message;
      }
      expect(actual).toEqual(expected);
      previous = request;
    }
  });

  it('follow a change in any one thing they say, with all else the same', () => {
    const models = (...names: string[]) => names.map((name) => LADDER.get(name)!);
    const open = (...names: string[]) => ({
      openCircuits: new Set(names.flatMap((name) => LADDER.get(name)!.deployments.map((d) => d.id))),
    });
    const one = (spec: Parameters<typeof registryOf>[0]['m']) => {
      const registry = registryOf({ m: spec });
      return { registry, candidates: [...registry.models.values()] };
    };
    const math = ask('Prove that the square root of 2 is irrational');
    const expert = ask('Research and write a comprehensive, rigorous survey of consensus protocols');
    const intermediate = ask('Explain how TCP congestion control works');
    type Case = [PlanRequest, readonly ModelEntry[], RoutingSnapshot, Registry];
    const withMath = one({ tier: 'advanced', capabilities: ['chat', 'math'] });
    const withoutMath = one({ tier: 'advanced', capabilities: ['chat'] });
    const atIntermediate = one({ tier: 'intermediate' });
    const atAdvanced = one({ tier: 'advanced' });
    const named = (name: string) => {
      const registry = registryOf({ [name]: { tier: 'basic' } });
      return { registry, candidates: [...registry.models.values()] };
    };
    const [a, b] = [named('a'), named('b')];
    const pairs: [what: string, Case, Case][] = [
      [
        'the model chosen',
        [ask('hi'), a.candidates, {}, a.registry],
        [ask('hi'), b.candidates, {}, b.registry],
      ],
      [
        'the capability (a candidate declares math, or none does)',
        [math, withMath.candidates, {}, withMath.registry],
        [math, withoutMath.candidates, {}, withoutMath.registry],
      ],
      [
        'the tier relaxed to',
        [expert, atIntermediate.candidates, {}, atIntermediate.registry],
        [expert, atAdvanced.candidates, {}, atAdvanced.registry],
      ],
      [
        'how many fit',
        [expert, models('tiny', 'big'), {}, LADDER],
        [expert, models('tiny', 'small', 'big'), {}, LADDER],
      ],
      [
        'how many fit at the tier',
        [intermediate, models('tiny', 'mid'), {}, LADDER],
        [intermediate, models('mid', 'big'), {}, LADDER],
      ],
      [
        'whether the fitting models were kept with open circuits',
        [ask('hi'), models('tiny', 'small', 'mid', 'big'), open('mid', 'big'), LADDER],
        [ask('hi'), models('tiny', 'small'), open('tiny', 'small'), LADDER],
      ],
    ];
    for (const [what, first, second] of pairs) {
      const texts = (plan: RoutePlan) => [plan.reason, plan.kind === 'sequence' && plan.attempts[0]?.reason];
      expect(texts(afresh(...first)), what).not.toEqual(texts(afresh(...second)));
      for (const [before, after] of [
        [first, second],
        [second, first],
      ] as const) {
        cheapest(...before);
        expect(cheapest(...after), what).toEqual(afresh(...after));
      }
    }
  });

  it('gives a plan the same reason text as the plan before when nothing differs', () => {
    const first = plan(ask('What is 2+2?'));
    const second = plan(ask('What is 2+2?'));
    expect(second.reason).toBe(first.reason);
    expect(second).not.toBe(first);
    expect(second.kind === 'sequence' && second.attempts).not.toBe(
      first.kind === 'sequence' && first.attempts,
    );
  });
});
