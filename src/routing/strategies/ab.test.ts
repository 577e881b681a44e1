import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../config/schema.js';
import type { RoutePlan } from '../plan.js';
import { ask, registryOf, thrown } from './__fixtures__/registries.js';
import { ab } from './ab.js';
import { createPlanContext, type PlanRequest } from './plan-context.js';

const MODELS = registryOf({
  a: { price: [0.1, 0.4] },
  b: { price: [3, 15] },
  c: { price: [1, 1], undeployed: true },
});
const ALL = [...MODELS.models.values()];
const SPLIT: RouteConfig = {
  strategy: 'ab',
  variants: [
    { model: 'a', weight: 90 },
    { model: 'b', weight: 10 },
  ],
};

function plan(request: PlanRequest, route: RouteConfig = SPLIT): RoutePlan {
  const context = createPlanContext(request, ALL, {}, MODELS, { route, routeName: 'split' });
  return ab(request, ALL, {}, MODELS, context);
}

function served(request: PlanRequest, route?: RouteConfig): string | undefined {
  const result = plan(request, route);
  return result.kind === 'sequence' ? result.attempts[0]?.model : undefined;
}

describe('ab', () => {
  it('splits users by the weights (90/10 over 10,000 users)', () => {
    let b = 0;
    for (let i = 0; i < 10_000; i++) if (served(ask('hi', undefined, { user: `user-${i}` })) === 'b') b++;
    expect(b).toBeGreaterThan(850);
    expect(b).toBeLessThan(1_150);
  });

  it('is sticky: one user always gets one variant, whatever the prompt', () => {
    const first = served(ask('one', undefined, { user: 'alice' }));
    for (const prompt of ['two', 'three', 'a longer prompt about something else']) {
      expect(served(ask(prompt, undefined, { user: 'alice' }))).toBe(first);
    }
  });

  it('names the variant, its share and the sticky key in the reason', () => {
    for (let i = 0; i < 200; i++) {
      const result = plan(ask('hi', undefined, { user: `u${i}` }));
      const model = result.kind === 'sequence' ? result.attempts[0]?.model : undefined;
      if (model === 'b') {
        expect(result.reason).toBe('ab: variant b (10%) → b, sticky by user');
        expect(result.kind === 'sequence' && result.attempts.map((x) => x.model)).toEqual(['b', 'a']);
        return;
      }
    }
    throw new Error('no user drew variant b in 200 tries');
  });

  it.each([
    {
      name: 'session id from metadata',
      route: { ...SPLIT, sticky_by: 'session' as const },
      extra: { metadata: { session_id: 's1' } },
      by: 'session',
    },
    {
      name: 'the caller key',
      route: { ...SPLIT, sticky_by: 'key' as const },
      extra: { stickyKey: 'key_123' },
      by: 'key',
    },
    { name: 'the prompt when there is no key', route: SPLIT, extra: {}, by: 'prompt' },
  ])('sticks by $name', ({ route, extra, by }) => {
    expect(plan(ask('hi', undefined, extra), route).reason).toContain(`sticky by ${by}`);
  });

  it('moves to the next variant when the drawn one cannot serve, and says so', () => {
    const route: RouteConfig = {
      strategy: 'ab',
      variants: [
        { model: 'c', weight: 100 },
        { model: 'a', weight: 0 },
      ],
    };
    const result = plan(ask('hi', undefined, { user: 'x' }), route);
    expect(result.kind === 'sequence' && result.attempts.map((x) => x.model)).toEqual(['a']);
    expect(result.reason).toContain('drawn variant a could not serve');
    expect(result.reason).toContain('variant a (c) unavailable');
  });

  it('respects max_cost: an over-budget variant is passed over; none fitting is BUDGET_EXCEEDED', () => {
    const onlyB: RouteConfig = {
      strategy: 'ab',
      variants: [
        { model: 'b', weight: 1 },
        { model: 'a', weight: 0 },
      ],
    };
    expect(served(ask('hi', { maxCostUsd: 0.001 }, { user: 'x' }), onlyB)).toBe('a');
    const error = thrown(() => plan(ask('hi', { maxCostUsd: 1e-9 }, { user: 'x' })));
    expect(error.code).toBe('BUDGET_EXCEEDED');
  });

  it('needs variants that weigh something', () => {
    expect(thrown(() => plan(ask('hi'), { strategy: 'ab' })).code).toBe('INVALID_REQUEST');
    expect(
      thrown(() => plan(ask('hi'), { strategy: 'ab', variants: [{ model: 'a', weight: 0 }] })).code,
    ).toBe('INVALID_REQUEST');
  });
});
