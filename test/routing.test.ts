/**
 * Routing end to end: the seed 002 examples through a real gateway over HTTP (the default
 * models served by the mock upstream) — cheapest, budget refusal, a fallback cascade escalating
 * past a refusal, an ensemble of three — with the decision trace in the orchestration result,
 * and the confidence scorer on the gateway's real answers.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/defaults.js';
import type { ConfigInput } from '../src/config/schema.js';
import type { ChatRequest } from '../src/core/chat.js';
import { scoreConfidence } from '../src/execution/confidence/index.js';
import { orchestrate } from '../src/gateway/orchestrate.js';
import { SUPPORTED_PROVIDER_TYPES } from '../src/providers/index.js';
import { createOpenAIAdapter } from '../src/providers/openai/openai-adapter.js';
import { type Harness, startHarness } from './helpers/harness.js';

/** The built-in models (seed 002's price table), deployed on the mock upstream. */
function seedModels(mockUrl: string): ConfigInput {
  const { config } = defaultConfig({}, { supportedTypes: SUPPORTED_PROVIDER_TYPES });
  const models = Object.fromEntries(
    Object.entries(config.models ?? {}).map(([name, model]) => [
      name,
      { ...model, deployments: [{ provider: 'mock', model: name }] },
    ]),
  );
  return {
    providers: {
      mock: { type: 'openai', base_url: `${mockUrl}/v1`, api_key: 'sk-test-provider-key-0123456789' },
    },
    models,
  };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ storage: 'memory', config: seedModels });
});
afterAll(async () => {
  await h.close();
});

async function chat(prompt: string, headers: Record<string, string> = {}, model = 'auto') {
  const response = await fetch(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }] }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('seed 002 through the gateway', () => {
  it('"What is 2+2?" with cheapest is answered by gpt-4o-mini', async () => {
    const response = await chat('What is 2+2?', { 'x-switchyard-strategy': 'cheapest' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-model')).toBe('gpt-4o-mini');
    expect(response.headers.get('x-switchyard-strategy')).toBe('cheapest');
    const choices = response.body['choices'] as { message: { content: string } }[];
    expect(choices[0]?.message.content).toContain('4');
  });

  it('--max-cost 0.00001 is refused with BUDGET_EXCEEDED and the cheapest estimate', async () => {
    const response = await chat('What is 2+2?', { 'x-switchyard-max-cost': '0.00001' });
    expect(response.status).toBe(402);
    expect(response.body['error']).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      details: { max_cost_usd: 0.00001, cheapest: { model: 'gpt-4o-mini' } },
    });
  });

  it('fallback starts "Write a binary search function" at claude-haiku-3.5', async () => {
    const response = await chat('Write a binary search function', { 'x-switchyard-strategy': 'fallback' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-model')).toBe('claude-haiku-3.5');
    expect(response.headers.get('x-switchyard-strategy')).toBe('fallback');
  });

  it('the orchestration result carries the decision trace', async () => {
    const result = await orchestrate(h.gateway, { prompt: 'What is 2+2?', strategy: 'cheapest' });
    expect(result.model_used).toBe('gpt-4o-mini');
    expect(result.metadata['route_trace']).toMatch(
      /^cheapest: task=math \(arithmetic\), tier=basic \('what is'\) → gpt-4o-mini \(\$0\.000\d+ est\.\)/,
    );
  });
});

describe('escalation and ensembles through the executor', () => {
  it('a fallback chain escalates past a refusal and stops at the first confident answer', async () => {
    // The mock makes only claude-haiku-3.5 (the chain's first step) refuse.
    const result = await orchestrate(h.gateway, {
      prompt: '[[mock:refuse@claude-haiku-3.5]] Explain quantum physics',
      strategy: 'fallback',
    });
    expect(result.strategy).toBe('fallback');
    expect(result.fallback_chain).toEqual(['claude-haiku-3.5', 'gpt-4o']);
    expect(result.model_used).toBe('gpt-4o');
    expect(result.confidence).toBeGreaterThanOrEqual(0.7);
    const trace = String(result.metadata['route_trace']);
    expect(trace).toMatch(
      /^fallback: task=chat .*cascade claude-haiku-3\.5 → gpt-4o → claude-sonnet-3\.5 → claude-opus-3/,
    );
    expect(trace).toMatch(/claude-haiku-3\.5: confidence 0\.10 < 0\.6 — refusal 0\.10 \(refused/);
    expect(trace).toMatch(/gpt-4o: confidence 0\.\d+ ≥ 0\.6, accepted/);
  });

  it('the scorer tells the real answers apart: refusal, hedge, empty, normal', async () => {
    const adapter = createOpenAIAdapter();
    const target = { provider: 'gateway', type: 'openai', baseUrl: '', model: '' };
    const scores: Record<string, number> = {};
    for (const directive of ['', '[[mock:refuse]] ', '[[mock:hedge]] ', '[[mock:empty]] ']) {
      const text = `${directive}What is 2+2?`;
      const response = await chat(text, {}, 'gpt-4o-mini');
      expect(response.status).toBe(200);
      const request: ChatRequest = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: [{ type: 'text', text }] }],
        stream: false,
      };
      scores[directive.trim() || 'normal'] = scoreConfidence({
        request,
        result: adapter.parseChatResponse(response.body, target),
      }).score;
    }
    expect(scores['normal']).toBeGreaterThanOrEqual(0.7);
    expect(scores['[[mock:hedge]]']).toBeGreaterThanOrEqual(0.4);
    expect(scores['[[mock:hedge]]']).toBeLessThanOrEqual(0.55);
    expect(scores['[[mock:refuse]]']).toBeLessThanOrEqual(0.2);
    expect(scores['[[mock:empty]]']).toBeLessThanOrEqual(0.05);
  });

  it('ensemble --ensemble-size 3 calls three models and returns one answer listing them', async () => {
    const result = await orchestrate(h.gateway, {
      prompt: 'Should I use REST or GraphQL?',
      strategy: 'ensemble',
      ensembleSize: 3,
    });
    expect(result.strategy).toBe('ensemble');
    expect(result.ensemble_models).toHaveLength(3);
    expect(new Set(result.ensemble_models).size).toBe(3);
    expect(result.ensemble_models).toContain(result.model_used);
    expect(result.response.length).toBeGreaterThan(0);
    expect(String(result.metadata['route_trace'])).toMatch(/^ensemble: task=reasoning/);
  });
});
