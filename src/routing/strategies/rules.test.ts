import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../config/schema.js';
import type { RoutePlan } from '../plan.js';
import { ask, registryOf, thrown } from './__fixtures__/registries.js';
import { createPlanContext, type PlanRequest } from './plan-context.js';
import { compileRouteRules, rules } from './rules.js';

// The seed documents' routing_rules (001), over models of the same names.
const MODELS = registryOf(
  {
    'code-davinci-002': { tier: 'advanced', capabilities: ['code-generation'], price: [2, 2], quality: 0.85 },
    'gpt-4': { tier: 'expert', capabilities: ['chat', 'code'], price: [30, 60], quality: 0.92 },
    'gpt-3.5-turbo': { tier: 'basic', capabilities: ['chat'], price: [0.5, 1.5], quality: 0.75 },
    'llama-2-70b': {
      tier: 'intermediate',
      capabilities: ['chat'],
      price: [0.7, 0.9],
      quality: 0.78,
      undeployed: true,
    },
    'text-embedding-ada-002': { capabilities: ['embeddings'], price: [0.1, 0] },
    'text-embedding-3-small': { capabilities: ['embeddings'], price: [0.02, 0] },
  },
  {
    routing_rules: [
      {
        task: 'code-generation',
        preferred_models: ['code-davinci-002', 'gpt-4'],
        fallback_models: ['gpt-3.5-turbo'],
      },
      {
        task: 'embeddings',
        preferred_models: ['text-embedding-ada-002'],
        fallback_models: ['text-embedding-3-small'],
      },
      {
        task: 'conversation',
        preferred_models: ['gpt-3.5-turbo', 'llama-2-70b'],
        fallback_models: ['gpt-4'],
      },
    ],
  },
);
const ALL = [...MODELS.models.values()];

function attempts(plan: RoutePlan): string[] {
  return plan.kind === 'sequence' ? plan.attempts.map((a) => a.model) : [];
}

function withRoute(request: PlanRequest, route: RouteConfig): RoutePlan {
  const context = createPlanContext(request, ALL, {}, MODELS, { route, routeName: 'tasks' });
  return rules(request, ALL, {}, MODELS, context);
}

describe('rules', () => {
  it.each([
    {
      name: 'code → preferred in order, then the fallback',
      request: ask('Write a Python function that parses dates'),
      models: ['code-davinci-002', 'gpt-4', 'gpt-3.5-turbo'],
      rule: 'routing_rules[0]',
    },
    {
      name: 'conversation → gpt-3.5-turbo (llama has no deployment), then gpt-4',
      request: ask('Hello! How are you today?'),
      models: ['gpt-3.5-turbo', 'gpt-4'],
      rule: 'routing_rules[2]',
    },
    {
      name: 'embeddings → ada, then 3-small',
      request: { model: 'auto', operation: 'embeddings' as const, input: ['hello'] },
      models: ['text-embedding-ada-002', 'text-embedding-3-small'],
      rule: 'routing_rules[1]',
    },
    {
      name: 'a caller-set task selects the rule',
      request: ask('anything', { task: 'code' }),
      models: ['code-davinci-002', 'gpt-4', 'gpt-3.5-turbo'],
      rule: 'routing_rules[0]',
    },
  ])('$name', ({ request, models, rule }) => {
    const plan = rules(request, ALL, {}, MODELS);
    expect(attempts(plan)).toEqual(models);
    expect(plan.reason).toContain(rule);
    expect(plan.kind === 'sequence' && plan.escalate).toBeUndefined();
  });

  it('goes the cheapest way when no rule matches, and says so', () => {
    const plan = rules(ask('Write a haiku about the sea'), ALL, {}, MODELS);
    expect(plan.strategy).toBe('rules');
    expect(plan.reason).toMatch(/^rules: no rule matches; cheapest: task=creative/);
    expect(attempts(plan)).toEqual(['gpt-3.5-turbo']);
  });

  it("puts a route's own rules first, with conditions on metadata, tags and parameters", () => {
    const route: RouteConfig = {
      strategy: 'rules',
      rules: [
        { when: { 'metadata.team': ['search', 'ads'], json: true }, preferred: ['gpt-4'], fallback: [] },
        { task: 'code', when: { tags: 'cheap' }, preferred: ['gpt-3.5-turbo'], fallback: [] },
        { when: { prompt_tokens: { gt: 1000 } }, preferred: ['gpt-4'], fallback: ['gpt-3.5-turbo'] },
      ],
      min_confidence: 0.7,
    };
    const json = { type: 'json_object' as const };
    expect(
      attempts(withRoute(ask('hi', undefined, { metadata: { team: 'ads' }, responseFormat: json }), route)),
    ).toEqual(['gpt-4']);
    // Same team without JSON: the first rule does not match, the seed rules do.
    expect(withRoute(ask('hi', undefined, { metadata: { team: 'ads' } }), route).reason).toContain(
      'routing_rules[2]',
    );
    expect(attempts(withRoute(ask('Write a Python function', { tags: ['cheap'] }), route))).toEqual([
      'gpt-3.5-turbo',
    ]);
    const long = withRoute(ask('word '.repeat(1_000)), route);
    expect(long.reason).toContain('routes.tasks.rules[2]');
    expect(long.kind === 'sequence' && long.escalate).toEqual({ minConfidence: 0.7 });
  });

  it('refuses unknown conditions when compiling, naming the path', () => {
    const route: RouteConfig = {
      strategy: 'rules',
      rules: [{ when: { colour: 'blue' }, preferred: ['gpt-4'], fallback: [] }],
    };
    expect(() => compileRouteRules(route, 'bad')).toThrow(
      /routes\.bad\.rules\[0\]\.when\.colour: unknown condition/,
    );
    const badTier: RouteConfig = {
      strategy: 'rules',
      rules: [{ when: { min_tier: 'galactic' }, preferred: [], fallback: [] }],
    };
    expect(() => compileRouteRules(badTier, 'bad')).toThrow(/min_tier/);
  });

  it('skips preferred models over budget; nothing fitting is BUDGET_EXCEEDED', () => {
    const plan = rules(
      ask('Write a Python function that parses dates', { maxCostUsd: 0.005 }),
      ALL,
      {},
      MODELS,
    );
    expect(attempts(plan)).toEqual(['code-davinci-002', 'gpt-3.5-turbo']);
    expect(plan.reason).toContain('gpt-4 over budget');
    const error = thrown(() => rules(ask('Write a Python function', { maxCostUsd: 1e-9 }), ALL, {}, MODELS));
    expect(error.code).toBe('BUDGET_EXCEEDED');
  });

  it('a matching rule whose models are all unavailable is MODEL_UNAVAILABLE', () => {
    const route: RouteConfig = { strategy: 'rules', rules: [{ preferred: ['llama-2-70b'], fallback: [] }] };
    expect(thrown(() => withRoute(ask('hi'), route)).code).toBe('MODEL_UNAVAILABLE');
  });
});
