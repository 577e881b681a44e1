import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../config/schema.js';
import { ask, registryOf, thrown } from './__fixtures__/registries.js';
import { createPlanContext } from './plan-context.js';
import {
  parseRouterAnswer,
  parseRouterTask,
  planFromClassifierAnswer,
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

  it('builds the classifier request from the last user message, asking for task and tier labels', () => {
    const request = routerPrompt(ask('Design a compiler for a new language'), 'classifier');
    expect(request).toMatchObject({ model: 'classifier', stream: false, maxTokens: 16, temperature: 0 });
    const system = request.messages[0];
    expect(system?.role).toBe('system');
    const instructions = system?.content[0]?.type === 'text' ? system.content[0].text : '';
    for (const label of ['code', 'math', 'reasoning', 'basic', 'intermediate', 'advanced', 'expert']) {
      expect(instructions).toContain(label);
    }
    const user = request.messages[1];
    expect(user?.role === 'user' && user.content[0]?.type === 'text' && user.content[0].text).toContain(
      'Design a compiler for a new language',
    );
  });

  it.each([
    ['code advanced', 0.7, 'code'],
    ['math basic', 0.15, 'math'],
    ['The answer is 9.', 0.9, undefined],
    ['4+5 = 9. The answer is 9.', 0.9, undefined],
    ['Difficulty: 3', 0.3, undefined],
  ])('reads the labelled answer %j as rating %s, task %s', (answer, rating, task) => {
    expect(parseRouterAnswer(answer)).toBe(rating);
    expect(parseRouterTask(answer)).toBe(task);
  });

  it('plans the classifier call: its request, the thresholds, and the local stand-in should it fail', () => {
    const request = ask('Research and write a comprehensive survey of consensus protocols', {
      maxCostUsd: 0.5,
    });
    const context = createPlanContext(request, [...MODELS.models.values()], {}, MODELS, {
      route: ROUTE,
      routeName: 'smart',
    });
    const plan = routerModel(request, context.set.models, {}, MODELS, context);
    expect(plan.kind).toBe('sequence');
    if (plan.kind !== 'sequence') return;
    // The stand-in, from the local classifier's tier.
    expect(plan.attempts[0]?.model).toBe('strong');
    expect(plan.classifier?.model).toBe('classifier');
    expect(plan.classifier?.targets).toEqual(routerTargets(ROUTE));
    expect(plan.classifier?.request.messages[1]?.content[0]).toMatchObject({
      text: expect.stringContaining('consensus protocols'),
    });
    expect(plan.maxCostUsd).toBe(0.5);
    expect(plan.reason).toBe(
      'router-model: classifier classifies the request (should it fail: local classifier, tier expert → strong)',
    );
    // The executor re-plans from the answer, keeping the budget.
    const next = planFromClassifierAnswer({ ...plan, classifier: plan.classifier! }, 'chat basic', MODELS);
    expect(next.kind === 'sequence' && next.attempts.map((a) => a.model)).toEqual([
      'weak',
      'medium',
      'strong',
    ]);
    expect(next.kind === 'sequence' && next.maxCostUsd).toBe(0.5);
    expect(next.reason).toBe('router-model: classifier (task chat) rated 1.5/10 → weak');
  });

  it('without a deployed classifier, plans from the local classifier and says why', () => {
    const models = registryOf({
      classifier: { undeployed: true },
      weak: { tier: 'basic' },
      strong: { tier: 'expert' },
    });
    const route: RouteConfig = { strategy: 'router-model', model: 'classifier', models: ['weak', 'strong'] };
    const request = ask('hi there');
    const context = createPlanContext(request, [...models.models.values()], {}, models, { route });
    const plan = routerModel(request, context.set.models, {}, models, context);
    expect(plan.kind === 'sequence' && plan.classifier).toBeUndefined();
    expect(plan.reason).toContain(
      'local classifier (tier basic) rated 1.5/10 → weak (classifier is not deployed)',
    );
  });

  it('refuses routes without models or with thresholds for other models', () => {
    expect(() => routerTargets({ strategy: 'router-model', model: 'classifier' })).toThrow(/needs models/);
    expect(() => routerTargets({ ...ROUTE, weights: { other: 3 } })).toThrow(/weights\.other/);
    expect(thrown(() => routerModel(ask('hi'), [], {}, MODELS)).code).toBe('INVALID_REQUEST');
  });
});
