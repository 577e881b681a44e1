/**
 * Cascades and ensembles end to end: a fallback chain escalates when an answer is a refusal
 * and stops at the first confident one, respects max_cost, and an ensemble asks N models and
 * returns one answer — with the decision trace, confidence and cost in the response and ledger.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { type Harness, startHarness } from './helpers/harness.js';

let h: Harness;

function config(url: string): ConfigInput {
  const model = (
    tier: 'basic' | 'intermediate' | 'advanced' | 'expert',
    input: number,
    output: number,
    quality: number,
  ) => ({
    tier,
    capabilities: ['chat', 'code', 'summarization', 'reasoning'],
    context_window: 128_000,
    pricing: { input_per_mtok: input, output_per_mtok: output },
    quality,
  });
  return {
    providers: { mock: { type: 'openai', base_url: `${url}/v1` } },
    models: {
      'gpt-4o-mini': {
        ...model('basic', 0.15, 0.6, 0.8),
        deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }],
      },
      'claude-haiku-3.5': {
        ...model('intermediate', 0.8, 4, 0.84),
        deployments: [{ provider: 'mock', model: 'claude-haiku-3.5' }],
      },
      'claude-sonnet-3.5': {
        ...model('advanced', 3, 15, 0.9),
        deployments: [{ provider: 'mock', model: 'claude-sonnet-3.5' }],
      },
    },
    routes: {
      reliable: {
        strategy: 'fallback',
        chain: ['gpt-4o-mini', 'claude-haiku-3.5', 'claude-sonnet-3.5'],
        min_confidence: 0.6,
      },
      panel: {
        strategy: 'ensemble',
        models: ['gpt-4o-mini', 'claude-haiku-3.5', 'claude-sonnet-3.5'],
        select: 'confidence',
      },
    },
  };
}

beforeAll(async () => {
  h = await startHarness({ storage: 'memory', config });
});
afterAll(() => h.close());

async function complete(body: object, headers: Record<string, string> = {}) {
  const response = await fetch(`${h.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('fallback cascade', () => {
  it('escalates when the first answer is a refusal and stops at the first confident one', async () => {
    const before = h.mock.requests.length;
    const r = await complete({
      model: 'reliable',
      prompt: 'Explain how a railway switchyard works. [[mock:refuse@gpt-4o-mini]]',
    });
    expect(r.status).toBe(200);
    expect(r.body.model_used).toBe('claude-haiku-3.5');
    expect(r.body.fallback_chain).toEqual(['gpt-4o-mini', 'claude-haiku-3.5']);
    expect(h.mock.requests.length - before).toBe(2);
    expect(r.body.confidence).toBeGreaterThanOrEqual(0.6);
    const trace = String((r.body.metadata as { route_trace: string }).route_trace);
    expect(trace).toMatch(/gpt-4o-mini: confidence 0\.\d+ < 0\.6/);
    expect(trace).toMatch(/escalating/);
    expect(trace).toMatch(/claude-haiku-3\.5: confidence .* accepted/);
    expect(r.headers.get('x-switchyard-route')).toContain('fallback');
    await h.gateway.ledger.flush();
    const record = await h.gateway.ledger.get(String(r.body.request_id));
    expect(record?.attempts.map((a) => a.model)).toEqual(['gpt-4o-mini', 'claude-haiku-3.5']);
    expect(record?.confidence).toBeGreaterThanOrEqual(0.6);
    // Both calls are billed: the refusal cost tokens too.
    expect(record?.attempts.every((a) => a.costNanos > 0)).toBe(true);
    expect(record?.costNanos).toBe(record!.attempts[0]!.costNanos + record!.attempts[1]!.costNanos);
  });

  it('stops at the first step when its answer is confident', async () => {
    const r = await complete({ model: 'reliable', prompt: 'What is 2+2?' });
    expect(r.body.model_used).toBe('gpt-4o-mini');
    expect(r.body.fallback_chain).toEqual(['gpt-4o-mini']);
  });

  it('returns the most confident answer when every step refuses or hedges', async () => {
    const r = await complete({
      model: 'reliable',
      prompt:
        'Hmm [[mock:refuse@gpt-4o-mini]] [[mock:refuse@claude-haiku-3.5]] [[mock:hedge@claude-sonnet-3.5]]',
    });
    expect(r.status).toBe(200);
    expect(r.body.model_used).toBe('claude-sonnet-3.5');
    expect(r.body.fallback_chain).toEqual(['gpt-4o-mini', 'claude-haiku-3.5', 'claude-sonnet-3.5']);
  });

  it('does not escalate past max_cost', async () => {
    const r = await complete(
      { model: 'reliable', prompt: 'Explain it [[mock:refuse@gpt-4o-mini]]', max_tokens: 100 },
      { 'x-switchyard-max-cost': '0.0002' },
    );
    expect(r.status).toBe(200);
    // The haiku step would cost ~$0.0004 at 100 output tokens: planning leaves it out.
    expect(r.body.fallback_chain).toEqual(['gpt-4o-mini']);
    const trace = String((r.body.metadata as { route_trace: string }).route_trace);
    expect(trace).toMatch(/claude-haiku-3\.5 left out \(\$0\.\d+ est\. would pass max \$0\.00020\)/);
  });
});

describe('ensemble', () => {
  it('asks three models in parallel and returns one answer with ensemble_models listed', async () => {
    const before = h.mock.requests.length;
    const r = await complete({ model: 'panel', prompt: 'Should I use REST or GraphQL?' });
    expect(r.status).toBe(200);
    expect(h.mock.requests.length - before).toBe(3);
    expect([...(r.body.ensemble_models as string[])].sort()).toEqual([
      'claude-haiku-3.5',
      'claude-sonnet-3.5',
      'gpt-4o-mini',
    ]);
    expect(typeof r.body.response).toBe('string');
    expect(r.body.confidence).toBeGreaterThan(0);
    await h.gateway.ledger.flush();
    const record = await h.gateway.ledger.get(String(r.body.request_id));
    expect(record?.attempts).toHaveLength(3);
    expect(record?.costNanos).toBe(record!.attempts.reduce((sum, a) => sum + a.costNanos, 0));
  });

  it('does not choose a member that refused', async () => {
    const r = await complete({ model: 'panel', prompt: 'Pick one [[mock:refuse@claude-sonnet-3.5]]' });
    expect(r.body.model_used).not.toBe('claude-sonnet-3.5');
  });

  it('streams the chosen answer to a streaming client', async () => {
    const response = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'panel',
        stream: true,
        messages: [{ role: 'user', content: 'hello panel' }],
      }),
    });
    const text = await response.text();
    expect(response.headers.get('x-switchyard-strategy')).toBe('ensemble');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(text).toContain('"finish_reason":"stop"');
  });
});
