import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/load.js';
import { answerResult } from '../execution/confidence/__fixtures__/answers.js';
import { scoreConfidence } from '../execution/confidence/index.js';
import type { RoutePlan } from './plan.js';
import { createRouter, type PlanInput } from './router.js';
import { ask, defaultRegistry, priorsOf, registryOf, thrown } from './strategies/__fixtures__/registries.js';
import { loadCustomRouters } from './strategies/custom.js';

function models(plan: RoutePlan): string[] {
  return plan.kind === 'sequence' ? plan.attempts.map((a) => a.model) : plan.members.map((m) => m.model);
}

describe('seed 002 examples, on the built-in default config', () => {
  const router = createRouter(defaultRegistry());

  it('"What is 2+2?" with cheapest goes to the cheapest basic model', () => {
    const plan = router.plan(ask('What is 2+2?', { strategy: 'cheapest' }));
    expect(models(plan)).toEqual(['gpt-4o-mini']);
    expect(plan.reason).toMatch(
      /^cheapest: task=math \(arithmetic\), tier=basic \('what is'\) → gpt-4o-mini \(\$0\.000\d+ est\.\)/,
    );
    // `auto` without a strategy is cheapest too.
    expect(models(router.plan(ask('What is 2+2?')))).toEqual(['gpt-4o-mini']);
  });

  it('"Design distributed architecture" is classified advanced or expert', () => {
    const plan = router.plan(ask('Design distributed architecture'));
    expect(plan.reason).toMatch(/tier=(advanced|expert)/);
    expect(models(plan)).not.toContain('gpt-4o-mini');
  });

  it('"Write a binary search function" with fallback tries claude-haiku-3.5 first, then escalates', () => {
    const plan = router.plan(ask('Write a binary search function', { strategy: 'fallback' }));
    expect(models(plan).slice(0, 2)).toEqual(['claude-haiku-3.5', 'gpt-4o']);
    expect(plan.kind === 'sequence' && plan.escalate).toEqual({ minConfidence: 0.6 });
  });

  it('a fallback chain escalates past a refusal and stops at the first confident answer', () => {
    const plan = router.plan(ask('Explain quantum physics', { strategy: 'fallback' }));
    expect(plan.kind).toBe('sequence');
    if (plan.kind !== 'sequence') return;
    const threshold = plan.escalate?.minConfidence ?? 1;
    // What each step would answer: the first model refuses, the second answers, the third is never asked.
    const answers = [
      "I'm sorry, but I can't help with that.",
      'Quantum physics describes matter and energy at the smallest scales, where energy comes in discrete quanta.',
      'unused',
    ];
    const tried: string[] = [];
    const scores: number[] = [];
    for (const [step, attempt] of plan.attempts.entries()) {
      tried.push(attempt.model);
      const request = { model: attempt.model, messages: [], stream: false };
      const confidence = scoreConfidence({ request, result: answerResult(answers[step] ?? '') });
      scores.push(confidence.score);
      if (confidence.score >= threshold) break;
    }
    expect(tried).toEqual(plan.attempts.slice(0, 2).map((a) => a.model));
    expect(scores[0]).toBeLessThanOrEqual(0.2);
    expect(scores[1]).toBeGreaterThanOrEqual(0.7);
  });

  it('ensemble --ensemble-size 3 plans three models in parallel', () => {
    const plan = router.plan(ask('Should I use REST or GraphQL?', { strategy: 'ensemble', ensembleSize: 3 }));
    expect(plan.kind).toBe('parallel');
    expect(new Set(models(plan)).size).toBe(3);
    expect(plan.kind === 'parallel' && plan.select).toBe('confidence');
  });

  it('--max-cost 0.00001 refuses the models that cannot fit', () => {
    for (const strategy of ['cheapest', 'fallback', 'ensemble', 'quality']) {
      const error = thrown(() => router.plan(ask('What is 2+2?', { strategy, maxCostUsd: 0.00001 })));
      expect(error.code, strategy).toBe('BUDGET_EXCEEDED');
      expect(error.details, strategy).toMatchObject({
        max_cost_usd: 0.00001,
        cheapest: { model: 'gpt-4o-mini' },
      });
    }
    // A budget that fits the cheap models but not the dear ones only trims the chain.
    const trimmed = router.plan(ask('Explain Docker volumes', { strategy: 'fallback', maxCostUsd: 0.005 }));
    expect(models(trimmed)).toEqual(['claude-haiku-3.5']);
  });
});

describe('createRouter: what the model names', () => {
  const registry = registryOf(
    {
      mini: { tier: 'basic', capabilities: ['chat', 'code'], price: [0.15, 0.6], quality: 0.8 },
      haiku: { tier: 'intermediate', capabilities: ['chat', 'code'], price: [0.8, 4], quality: 0.84 },
      sonnet: { tier: 'advanced', capabilities: ['chat', 'code'], price: [3, 15], quality: 0.9 },
      embed: { capabilities: ['embeddings'], price: [0.02, 0] },
      gone: { undeployed: true },
    },
    {
      routes: {
        reliable: {
          strategy: 'fallback',
          chain: ['mini', 'sonnet'],
          min_confidence: 0.7,
          max_cost_usd: 0.01,
        },
        hedged: { strategy: 'direct', model: 'mini', hedge_after_ms: 100 },
        pair: { strategy: 'cheapest', models: ['haiku', 'sonnet'] },
        panel: { strategy: 'ensemble', models: ['mini', 'haiku', 'sonnet'], select: 'vote' },
        split: {
          strategy: 'ab',
          variants: [
            { model: 'mini', weight: 1 },
            { model: 'haiku', weight: 1 },
          ],
        },
        smart: { strategy: 'router-model', model: 'mini', models: ['mini', 'sonnet'] },
        mine: { strategy: 'custom', module: './custom-router.mjs' },
      },
    },
  );
  const router = createRouter(registry);

  it('a model name plans direct', () => {
    const plan = router.plan(ask('hi', undefined, { model: 'haiku' }));
    expect(plan).toMatchObject({
      kind: 'sequence',
      strategy: 'direct',
      attempts: [{ model: 'haiku' }],
      reason: 'direct: haiku',
    });
  });

  it('a model name with a budget it cannot fit is BUDGET_EXCEEDED', () => {
    expect(thrown(() => router.plan(ask('hi', { maxCostUsd: 1e-9 }, { model: 'sonnet' }))).code).toBe(
      'BUDGET_EXCEEDED',
    );
    expect(router.plan(ask('hi', { maxCostUsd: 1 }, { model: 'sonnet' })).reason).toMatch(
      /^direct: sonnet \(\$[\d.]+ est\., max \$1\.0000\)$/,
    );
  });

  it('a model name with a requested strategy runs that strategy with the model first', () => {
    expect(models(router.plan(ask('hi', { strategy: 'fallback' }, { model: 'haiku' })))).toEqual([
      'haiku',
      'sonnet',
    ]);
    const cheap = router.plan(ask('hi', { strategy: 'cheapest' }, { model: 'sonnet' }));
    expect(models(cheap)).toEqual(['sonnet', 'mini']);
    expect(cheap.reason).toContain('sonnet first (named by the request)');
    expect(
      models(router.plan(ask('hi', { strategy: 'ensemble', ensembleSize: 2 }, { model: 'sonnet' }))),
    ).toContain('sonnet');
    expect(thrown(() => router.plan(ask('hi', { strategy: 'ab' }, { model: 'haiku' }))).code).toBe(
      'INVALID_REQUEST',
    );
  });

  it('a route runs its strategy with its settings, marked with the route name', () => {
    const plan = router.plan(ask('hi', undefined, { model: 'reliable' }));
    expect(plan).toMatchObject({ strategy: 'fallback', route: 'reliable', escalate: { minConfidence: 0.7 } });
    expect(models(plan)).toEqual(['mini', 'sonnet']);
    expect(models(router.plan(ask('hi', undefined, { model: 'pair' })))).toEqual(['haiku']);
    const panel = router.plan(ask('hi', undefined, { model: 'panel' }));
    expect(panel).toMatchObject({ kind: 'parallel', select: 'vote', route: 'panel' });
    expect(models(panel)).toHaveLength(3);
    expect(router.plan(ask('hi', undefined, { model: 'split', user: 'u1' })).reason).toMatch(
      /^ab: variant [ab] \(50%\)/,
    );
    expect(router.plan(ask('hi', undefined, { model: 'smart' })).strategy).toBe('router-model');
  });

  it('keeps route-level hedging', () => {
    const plan = router.plan(ask('hi', undefined, { model: 'hedged' }));
    expect(plan).toMatchObject({
      strategy: 'direct',
      route: 'hedged',
      hedgeAfterMs: 100,
      attempts: [{ model: 'mini' }],
    });
  });

  it('request options override the route where sensible', () => {
    // The request's chain replaces the route's; its budget can only tighten the route's.
    expect(models(router.plan(ask('hi', { chain: ['haiku'] }, { model: 'reliable' })))).toEqual(['haiku']);
    expect(router.plan(ask('hi', { minConfidence: 0.9 }, { model: 'reliable' }))).toMatchObject({
      escalate: { minConfidence: 0.9 },
    });
    const tight = router.plan(
      ask('Explain TCP', { maxCostUsd: 100 }, { model: 'reliable', maxTokens: 1_000 }),
    );
    // sonnet at 1,000 output tokens is $0.015: over the route's $0.01 ceiling.
    expect(models(tight)).toEqual(['mini']);
    // Another strategy over the route's models: the route's own model goes first.
    expect(models(router.plan(ask('hi', { strategy: 'fallback' }, { model: 'hedged' })))[0]).toBe('mini');
    expect(models(router.plan(ask('hi', { strategy: 'quality' }, { model: 'pair' })))).toEqual(['sonnet']);
  });

  it('auto runs the requested strategy, cheapest by default', () => {
    expect(router.plan(ask('hi')).strategy).toBe('cheapest');
    expect(router.plan(ask('hi', { strategy: 'quality' })).strategy).toBe('quality');
    expect(thrown(() => router.plan(ask('hi', { strategy: 'direct' }))).code).toBe('INVALID_REQUEST');
    expect(thrown(() => router.plan(ask('hi', { strategy: 'ab' }))).code).toBe('INVALID_REQUEST');
    expect(thrown(() => router.plan(ask('hi', { strategy: 'custom' }, { model: 'pair' }))).code).toBe(
      'INVALID_REQUEST',
    );
  });

  it('refuses unknown strategies, listing the available ones', () => {
    const error = thrown(() => router.plan(ask('hi', { strategy: 'telepathy' })));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.details).toMatchObject({
      field: 'strategy',
      available: expect.arrayContaining(['cheapest', 'fallback', 'ensemble']),
    });
  });

  it('unknown names are NOT_FOUND; unavailable models MODEL_UNAVAILABLE', () => {
    expect(thrown(() => router.plan(ask('hi', undefined, { model: 'nope' }))).code).toBe('NOT_FOUND');
    expect(thrown(() => router.plan(ask('hi', undefined, { model: 'gone' }))).code).toBe('MODEL_UNAVAILABLE');
  });

  it('keeps chat and embeddings apart', () => {
    expect(models(router.plan({ model: 'auto', operation: 'embeddings', input: ['x'] }))).toEqual(['embed']);
    expect(models(router.plan({ model: 'embed', operation: 'embeddings', input: ['x'] }))).toEqual(['embed']);
    expect(thrown(() => router.plan({ model: 'mini', operation: 'embeddings', input: ['x'] })).code).toBe(
      'INVALID_REQUEST',
    );
    expect(thrown(() => router.plan(ask('hi', undefined, { model: 'embed' }))).code).toBe('INVALID_REQUEST');
    // The embeddings model is never a chat candidate, not even a skipped one.
    expect(router.plan(ask('hi')).reason).not.toContain('without chat');
  });

  it('passes the snapshot to the strategies', () => {
    const priors = priorsOf({ '*': { mini: [0.5], haiku: [0.9], sonnet: [0.91] } });
    expect(models(router.plan(ask('hi', { task: 'qa' }), { priors }))).toEqual(['haiku']);
  });

  it('custom routes need their module loaded at start', async () => {
    expect(thrown(() => router.plan(ask('hi', undefined, { model: 'mine' }))).code).toBe('MODEL_UNAVAILABLE');
    const baseDir = fileURLToPath(new URL('./strategies/__fixtures__/', import.meta.url));
    const customRouters = await loadCustomRouters(
      { routes: Object.fromEntries(registry.routes) },
      { baseDir },
    );
    const loaded = createRouter(registry, { customRouters });
    expect(loaded.plan(ask('hi', undefined, { model: 'mine' }))).toMatchObject({
      strategy: 'custom',
      route: 'mine',
    });
  });

  it('sticks by the identity given beside the request as by a stickyKey in it', () => {
    const keyed = registryOf(
      { mini: {}, haiku: {}, sonnet: {} },
      {
        routes: {
          byKey: {
            strategy: 'ab',
            sticky_by: 'key',
            variants: [
              { model: 'mini', weight: 1 },
              { model: 'haiku', weight: 1 },
              { model: 'sonnet', weight: 2 },
            ],
          },
          anyway: {
            strategy: 'ab',
            variants: [
              { model: 'mini', weight: 1 },
              { model: 'haiku', weight: 1 },
            ],
          },
          mine: { strategy: 'custom', module: './unused.mjs' },
        },
      },
    );
    const seen: PlanInput[] = [];
    const custom = (request: PlanInput) => {
      seen.push(request);
      return 'mini';
    };
    const router = createRouter(keyed, { customRouters: new Map([['mine', custom]]) });
    const drawn = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const key = `key_${i}`;
      for (const request of [
        ask('hi', undefined, { model: 'byKey' }),
        ask('hi', undefined, { model: 'anyway' }),
        ask('hi', undefined, { model: 'anyway', user: 'u1' }),
        ask('hi', undefined, { model: 'byKey', stickyKey: 'own' }),
      ]) {
        const beside = router.plan(request, {}, key);
        expect(beside).toEqual(router.plan({ stickyKey: key, ...request }, {}));
        drawn.add(models(beside)[0]!);
      }
      // Without a key given, the request's own (or none) decides, as before.
      expect(router.plan(ask('hi', undefined, { model: 'byKey' }), {})).toEqual(
        router.plan(ask('hi', undefined, { model: 'byKey' })),
      );
      // A custom router reads the request itself: the key is in it.
      router.plan(ask('hi', undefined, { model: 'mine' }), {}, key);
      expect(seen.at(-1)).toEqual({ stickyKey: key, ...ask('hi', undefined, { model: 'mine' }) });
    }
    // The keys do split between the variants (the assignment follows them).
    expect(drawn).toEqual(new Set(['mini', 'haiku', 'sonnet']));
    expect(router.plan(ask('hi', undefined, { model: 'byKey', stickyKey: 'own' }), {}, 'key_1').reason).toBe(
      router.plan(ask('hi', undefined, { model: 'byKey', stickyKey: 'own' })).reason,
    );
  });

  it('checks route settings once, at creation, naming the path', () => {
    const bad = registryOf(
      { a: {} },
      {
        routes: {
          r1: { strategy: 'rules', rules: [{ when: { colour: 'red' }, preferred: ['a'], fallback: [] }] },
          r2: { strategy: 'balanced', weights: { speed: 1 } },
          r3: { strategy: 'router-model', models: ['a'] },
        },
      },
    );
    const error = (() => {
      try {
        createRouter(bad);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toEqual([
      expect.stringContaining('routes.r1.rules[0].when.colour'),
      expect.stringContaining('routes.r2.weights.speed'),
      'routes.r3.model: router-model needs a classifier model',
    ]);
  });
});

describe('planning speed over a 500-model registry', () => {
  /** The bench's registry (bench/workers/route-timing.mjs): seeded prices, tiers and quality. */
  function bigRegistry() {
    let state = 500;
    const random = () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
    const tiers = ['basic', 'intermediate', 'advanced', 'expert'] as const;
    const specs: Parameters<typeof registryOf>[0] = {};
    const names: string[] = [];
    for (let i = 0; i < 500; i++) {
      const name = `model-${String(i).padStart(3, '0')}`;
      names.push(name);
      const embeddings = i % 10 === 9;
      const input = Math.round((0.05 + random() * 15) * 1000) / 1000;
      specs[name] = {
        tier: tiers[Math.floor(random() * tiers.length)]!,
        capabilities: embeddings
          ? ['embeddings']
          : random() < 0.5
            ? ['chat', 'code']
            : ['chat', 'summarization'],
        context: 8_192 * (1 + Math.floor(random() * 32)),
        quality: Math.round((0.5 + random() * 0.49) * 100) / 100,
        price: [input, embeddings ? 0 : Math.round(input * 4 * 1000) / 1000],
      };
    }
    return registryOf(specs, {
      routes: {
        'cheapest-50': { strategy: 'cheapest', models: names.filter((_, i) => i % 10 !== 9).slice(0, 50) },
      },
    });
  }

  it('micro-benchmark: plan() for auto and friends (logged, not asserted)', () => {
    const router = createRouter(bigRegistry());
    const cases = {
      'auto, no prompt': { model: 'auto' },
      'auto, "What is 2+2?"': ask('What is 2+2?'),
      'auto, code prompt': ask('Write a binary search function in TypeScript with tests'),
      'fallback, code prompt': ask('Write a binary search function in TypeScript with tests', {
        strategy: 'fallback',
      }),
      'cheapest-50 route': ask('What is 2+2?', undefined, { model: 'cheapest-50' }),
      direct: ask('What is 2+2?', undefined, { model: 'model-250' }),
    };
    const lines: string[] = [];
    for (const [name, request] of Object.entries(cases)) {
      for (let i = 0; i < 2_000; i++) router.plan(request);
      const samples: number[] = [];
      for (let i = 0; i < 5_000; i++) {
        const started = process.hrtime.bigint();
        router.plan(request);
        samples.push(Number(process.hrtime.bigint() - started) / 1000);
      }
      samples.sort((a, b) => a - b);
      lines.push(`${name}: median ${samples[2_500]!.toFixed(1)} µs, p99 ${samples[4_950]!.toFixed(1)} µs`);
    }
    console.log(
      `plan() over 500 models (under vitest's transform; the bench measures dist/):\n  ${lines.join('\n  ')}`,
    );
    expect(lines).toHaveLength(6);
  });
});

describe('what the router works out once never answers for another request or snapshot', () => {
  // The benchmark's shape (a cheapest route over three priced models); the dearest one sees
  // images, takes tools and has the largest context window, so that requests differ in what fits.
  const registry = registryOf(
    {
      'gpt-4o-mini': { tier: 'basic', price: [0.15, 0.6], quality: 0.8, context: 128_000 },
      'gpt-4.1-mini': { tier: 'intermediate', price: [0.4, 1.6], quality: 0.84, context: 128_000 },
      'gpt-4o': {
        tier: 'advanced',
        capabilities: ['chat', 'vision', 'tools'],
        price: [2.5, 10],
        quality: 0.9,
        context: 1_000_000,
      },
    },
    {
      routes: {
        'bench-cheapest': { strategy: 'cheapest', models: ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o'] },
        preferring: {
          strategy: 'cheapest',
          model: 'gpt-4o',
          models: ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o'],
        },
      },
    },
  );
  const router = createRouter(registry);
  const bench = (text = 'What is 2+2?', routing?: Parameters<typeof ask>[1], extra = {}) =>
    ask(text, routing, { model: 'bench-cheapest', ...extra });
  const deploymentsOf = (name: string) => registry.get(name)!.deployments.map((d) => d.id);

  it('an open circuit changes the plan, and closing it changes it back', () => {
    const first = router.plan(bench(), { openCircuits: new Set() });
    expect(first).toEqual({
      kind: 'sequence',
      strategy: 'cheapest',
      attempts: [{ model: 'gpt-4o-mini', reason: 'cheapest with chat (basic math) at tier >= basic' }],
      reason:
        "cheapest: task=math (arithmetic), tier=basic ('what is') → gpt-4o-mini ($0.00015 est.); 3 fit (3 at tier >= basic)",
      route: 'bench-cheapest',
    });
    const open = router.plan(bench(), { openCircuits: new Set(deploymentsOf('gpt-4o-mini')) });
    expect(models(open)).toEqual(['gpt-4.1-mini']);
    expect(open.reason).toContain('2 fit (2 at tier >= basic); skipped 1 with open circuits');
    const allOpen = router.plan(bench(), { openCircuits: new Set(registry.deployments().map((d) => d.id)) });
    expect(models(allOpen)).toEqual(['gpt-4o-mini']);
    expect(allOpen.reason).toContain(
      '3 fit (3 at tier >= basic); skipped 3 with open circuits; every fitting model has its circuits open',
    );
    expect(router.plan(bench(), { openCircuits: new Set() })).toEqual(first);
    expect(router.plan(bench())).toEqual(first);
  });

  it('priors in the snapshot take over, and their absence hands back to the tiers', () => {
    const plain = router.plan(bench());
    const priors = priorsOf({ '*': { 'gpt-4o-mini': [0.2], 'gpt-4.1-mini': [0.9], 'gpt-4o': [0.91] } });
    const learned = router.plan(bench(), { priors });
    expect(models(learned)).toEqual(['gpt-4.1-mini']);
    expect(learned.reason).toContain('priors → gpt-4.1-mini');
    expect(router.plan(bench())).toEqual(plain);
  });

  it('requests that need other things get their own plans, in any order', () => {
    const long = 'Please read this. '.repeat(40_000);
    const requests = {
      plain: bench(),
      image: {
        ...bench('What is in this picture?'),
        messages: [
          {
            role: 'user' as const,
            content: [
              { type: 'text' as const, text: 'What is in this picture?' },
              { type: 'image' as const, url: 'https://example.com/cat.png' },
            ],
          },
        ],
      },
      tools: bench('Look up the weather in Paris', undefined, {
        tools: [{ name: 'weather', description: 'Current weather for a city', parameters: {} }],
      }),
      long: bench(long),
      hard: bench('Design a distributed consensus protocol and prove its safety'),
      expert: bench('What is 2+2?', { tier: 'expert' }),
      maxTokens: bench('What is 2+2?', undefined, { maxTokens: 4000 }),
      budget: bench('What is 2+2?', { maxCostUsd: 0.0001 }),
    };
    const alone = (name: keyof typeof requests) => {
      const fresh = createRouter(registry);
      try {
        return fresh.plan(requests[name]);
      } catch (error) {
        return (error as Error).message;
      }
    };
    const expected = Object.fromEntries(Object.keys(requests).map((name) => [name, alone(name as never)]));
    // Each kind differs from the plain request somewhere (the model, the reason or the error).
    for (const [name, plan] of Object.entries(expected)) {
      if (name !== 'plain') expect(plan, name).not.toEqual(expected.plain);
    }
    expect(models(expected.image as RoutePlan)).toEqual(['gpt-4o']);
    expect(models(expected.long as RoutePlan)).toEqual(['gpt-4o']);
    expect((expected.long as RoutePlan).reason).toContain(
      '1 fit (1 at tier >= intermediate); skipped 2 with too small',
    );
    expect((expected.expert as RoutePlan).reason).toContain('no expert model fits');
    expect(expected.budget).toContain('no model fits max cost');
    // The same router, asked in a shuffled order, twice over, gives each request the plan it gets alone.
    const order = Object.keys(requests) as (keyof typeof requests)[];
    for (const name of [...order, ...order.reverse(), ...order]) {
      let plan: RoutePlan | string;
      try {
        plan = router.plan(requests[name]);
      } catch (error) {
        plan = (error as Error).message;
      }
      expect(plan, name).toEqual(expected[name]);
    }
  });

  it("a strategy asked over a route's own puts the route's model first only on that request", () => {
    const own = router.plan(ask('hi', undefined, { model: 'preferring' }));
    expect(models(own)).toEqual(['gpt-4o-mini']);
    const asked = router.plan(ask('hi', { strategy: 'quality' }, { model: 'preferring' }));
    expect(models(asked)[0]).toBe('gpt-4o');
    expect(router.plan(ask('hi', undefined, { model: 'preferring' }))).toEqual(own);
  });

  it('a plan the caller changes does not change the next plan', () => {
    const first = router.plan(bench());
    const copy = structuredClone(first);
    if (first.kind === 'sequence') first.attempts.push({ model: 'gpt-4o' });
    first.reason = 'changed';
    expect(router.plan(bench())).toEqual(copy);
  });

  it('a reloaded registry (a new router) plans with its own prices; the old router keeps its own', () => {
    const repriced = registryOf(
      {
        'gpt-4o-mini': { tier: 'basic', price: [5, 20], quality: 0.8 },
        'gpt-4.1-mini': { tier: 'intermediate', price: [0.4, 1.6], quality: 0.84 },
        'gpt-4o': { tier: 'advanced', price: [2.5, 10], quality: 0.9 },
      },
      {
        routes: {
          'bench-cheapest': { strategy: 'cheapest', models: ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o'] },
        },
      },
    );
    const before = router.plan(bench());
    const reloaded = createRouter(repriced);
    expect(models(reloaded.plan(bench()))).toEqual(['gpt-4.1-mini']);
    expect(router.plan(bench())).toEqual(before);
  });
});
