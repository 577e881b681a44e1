import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat.js';
import type { Strategy } from '../plan.js';
import { registryOf } from './__fixtures__/registries.js';
import { createStrategies } from './index.js';
import { createPlanContext } from './plan-context.js';

const MODELS = registryOf({
  a: { tier: 'basic', price: [0.1, 0.4], quality: 0.7 },
  b: { tier: 'advanced', price: [3, 15], quality: 0.9 },
});
const ALL = [...MODELS.models.values()];
const REQUEST: ChatRequest = {
  model: 'auto',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'What is 2+2?' }] }],
  stream: false,
};

describe('createStrategies', () => {
  // Compile-time: every built-in strategy is a plan.ts Strategy.
  const table: Readonly<Record<string, Strategy>> = createStrategies();

  it.each(['cheapest', 'quality', 'balanced', 'fallback', 'ensemble', 'rules', 'direct'])(
    '%s plans a ChatRequest through the four-argument Strategy signature',
    (name) => {
      const plan = table[name]!(REQUEST, ALL, {}, MODELS);
      expect(plan.reason.length).toBeGreaterThan(0);
      expect(['sequence', 'parallel']).toContain(plan.kind);
    },
  );

  it.each([
    ['ab', { strategy: 'ab' as const, variants: [{ model: 'b', weight: 1 }] }, 'b'],
    ['router-model', { strategy: 'router-model' as const, model: 'a', models: ['a', 'b'] }, 'a'],
  ])('%s plans with its route in the context', (name, route, model) => {
    const context = createPlanContext(REQUEST, ALL, {}, MODELS, { route, routeName: 'r' });
    const plan = createStrategies()[name as 'ab' | 'router-model'](REQUEST, ALL, {}, MODELS, context);
    expect(plan.kind === 'sequence' && plan.attempts[0]?.model).toBe(model);
  });

  it('knobs given to createStrategies reach the strategies', () => {
    const cut = createStrategies({ maxChainSteps: 1 }).fallback(REQUEST, ALL, {}, MODELS);
    expect(cut.kind === 'sequence' && cut.attempts).toHaveLength(1);
  });
});
