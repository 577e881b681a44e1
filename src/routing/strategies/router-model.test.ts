import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../config/schema.js';
import { ask, registryOf, thrown } from './__fixtures__/registries.js';
import { createPlanContext } from './plan-context.js';
import {
  parseRouterAnswer,
  planFromRouterAnswer,
  routerModel,
  routerPrompt,
  routerTargets,
} from './router-model.js';

const MODELS = registryOf({
  classifier: { price: [0.05, 0.1] },
  weak: { tier: 'basic', price: [0.1, 0.4] },
  medium: { tier: 'intermediate', price: [1, 4] },
  strong: { tier: 'expert', price: [15, 75], quality: 0.95 },
});
const ROUTE: RouteConfig = {
  strategy: 'router-model',
  model: 'classifier',
  models: ['weak', 'medium', 'strong'],
  weights: { medium: 4, strong: 8 },
};

describe('router-model', () => {
  it.each([
    ['7', 0.7],
    ['7/10', 0.7],
    ['Difficulty: 3', 0.3],
    ['8.5', 0.85],
    ['0.25', 0.25],
    ['85/100', 0.85],
    ['10', 1],
    ['Hard.', 0.75],
    ['I would say easy', 0.2],
    ['expert', 0.9],
    ['11', undefined],
    ['no idea', undefined],
  ])('reads the answer %j as %s', (answer, rating) => {
    expect(parseRouterAnswer(answer)).toBe(rating);
  });

  it('maps ratings to models by the thresholds, weakest first', () => {
    expect(routerTargets(ROUTE)).toEqual([
      { model: 'weak', threshold: 0 },
      { model: 'medium', threshold: 0.4 },
      { model: 'strong', threshold: 0.8 },
    ]);
    const even = routerTargets({
      strategy: 'router-model',
      model: 'classifier',
      models: ['weak', 'medium', 'strong'],
    });
    expect(even.map((t) => t.threshold)).toEqual([0, 1 / 3, 2 / 3]);
  });

  it.each([
    ['2', ['weak', 'medium', 'strong']],
    ['4', ['medium', 'strong', 'weak']],
    ['9', ['strong', 'medium', 'weak']],
    ['gibberish', ['strong', 'medium', 'weak']],
  ])('answer %j plans %j', (answer, models) => {
    const plan = planFromRouterAnswer(answer, ROUTE, MODELS, 'smart');
    expect(plan.kind === 'sequence' && plan.attempts.map((a) => a.model)).toEqual(models);
    expect(plan).toMatchObject({ strategy: 'router-model', route: 'smart' });
  });

  it('says who rated what', () => {
    expect(planFromRouterAnswer('9', ROUTE, MODELS).reason).toBe(
      'router-model: classifier rated 9.0/10 → strong',
    );
    expect(planFromRouterAnswer('?', ROUTE, MODELS).reason).toContain('unreadable answer, strongest model');
  });

  it('builds the classifier request from the last user message', () => {
    const request = routerPrompt(ask('Design a compiler for a new language'), 'classifier');
    expect(request).toMatchObject({ model: 'classifier', stream: false, maxTokens: 5, temperature: 0 });
    expect(request.messages[0]?.role).toBe('system');
    const user = request.messages[1];
    expect(user?.role === 'user' && user.content[0]?.type === 'text' && user.content[0].text).toContain(
      'Design a compiler for a new language',
    );
  });

  it('until the classifier call is wired, rates with the local classifier and says so', () => {
    const request = ask('Research and write a comprehensive survey of consensus protocols');
    const context = createPlanContext(request, [...MODELS.models.values()], {}, MODELS, {
      route: ROUTE,
      routeName: 'smart',
    });
    const plan = routerModel(request, context.set.models, {}, MODELS, context);
    expect(plan.kind === 'sequence' && plan.attempts[0]?.model).toBe('strong');
    expect(plan.reason).toContain('local classifier (tier expert; classifier call not wired)');
  });

  it('refuses routes without models or with thresholds for other models', () => {
    expect(() => routerTargets({ strategy: 'router-model', model: 'classifier' })).toThrow(/needs models/);
    expect(() => routerTargets({ ...ROUTE, weights: { other: 3 } })).toThrow(/weights\.other/);
    expect(thrown(() => routerModel(ask('hi'), [], {}, MODELS)).code).toBe('INVALID_REQUEST');
  });
});
