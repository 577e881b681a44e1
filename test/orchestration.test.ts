/**
 * Cascades and ensembles end to end: a fallback chain escalates when an answer is a refusal
 * and stops at the first confident one, respects max_cost (the request's and the route's), and
 * an ensemble asks N models and returns one answer — with the decision trace, confidence and cost
 * in the response and ledger. router-model asks its classifier model first and routes by its
 * answer. `switchyard ask --url` forwards its routing options to a running gateway.
 */

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { askCommand } from '../src/cli/ask.js';
import type { ConfigInput } from '../src/config/schema.js';
import type { OrchestrationResult } from '../src/gateway/orchestrate.js';
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
      // Priced like gpt-4o-mini, but it thinks at length (the mock bills 3,000 reasoning tokens).
      wordy: { ...model('basic', 0.15, 0.6, 0.8), deployments: [{ provider: 'mock', model: 'wordy' }] },
      'router-classifier': {
        ...model('basic', 0.05, 0.1, 0.6),
        deployments: [{ provider: 'mock', model: 'router-classifier' }],
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
      capped: {
        strategy: 'fallback',
        chain: ['wordy', 'claude-haiku-3.5', 'claude-sonnet-3.5'],
        max_cost_usd: 0.0015,
      },
      smart: {
        strategy: 'router-model',
        model: 'router-classifier',
        models: ['gpt-4o-mini', 'claude-haiku-3.5', 'claude-sonnet-3.5'],
        weights: { 'claude-haiku-3.5': 4, 'claude-sonnet-3.5': 8 },
      },
    },
  };
}

beforeAll(async () => {
  h = await startHarness({
    storage: 'memory',
    config,
    mock: { models: { wordy: { reasoning_tokens: 3000 } } },
  });
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
  it("stops before a step that would pass the route's max_cost_usd, counting what was really spent", async () => {
    const r = await complete({
      model: 'capped',
      prompt: 'Explain railway signalling [[mock:hedge@wordy]]',
      switchyard: { tier: 'basic' },
    });
    expect(r.status).toBe(200);
    const trace = String((r.body.metadata as { route_trace: string }).route_trace);
    // Planned within the route's $0.0015 (wordy ≈ $0.00015 + haiku ≈ $0.001 est.; sonnet left out)…
    expect(trace).toContain('chain wordy → claude-haiku-3.5');
    expect(trace).toMatch(/claude-sonnet-3\.5 left out \(\$0\.\d+ est\. would pass max \$0\.0015\)/);
    // …but wordy's hedged answer cost $0.0018 (its reasoning tokens): escalating would pass the route's budget.
    expect(trace).toMatch(/wordy: confidence 0\.\d+ < 0\.6/);
    expect(trace).toMatch(/stop before claude-haiku-3\.5: \$0\.00\d+ would exceed max_cost \$0\.001500/);
    expect(r.body.model_used).toBe('wordy');
    expect(r.body.fallback_chain).toEqual(['wordy']);
    expect(Number(r.body.cost)).toBeGreaterThan(0.0015);
  });
});

describe('router-model', () => {
  const trace = (r: { body: Record<string, unknown> }) =>
    String((r.body.metadata as { route_trace: string }).route_trace);

  it('asks the classifier model, routes by its answer, and bills the call in the same ledger record', async () => {
    const before = h.mock.requests.length;
    // The mock answers arithmetic: the classifier says "4+5 = 9. The answer is 9." — a 9/10.
    const r = await complete({ model: 'smart', prompt: 'What is 4+5?' });
    expect(r.status).toBe(200);
    expect(h.mock.requests.length - before).toBe(2);
    const asked = h.mock.requests.at(-2)!.body as { model: string; messages: { content: string }[] };
    expect(asked.model).toBe('router-classifier');
    expect(asked.messages[0]?.content).toContain('difficulty tier');
    expect(asked.messages[1]?.content).toContain('What is 4+5?');
    // The local classifier would call this basic (gpt-4o-mini); the classifier's 9/10 sends it to sonnet.
    expect(r.body.model_used).toBe('claude-sonnet-3.5');
    expect(r.body.strategy).toBe('router-model');
    expect(trace(r)).toContain('router-model: router-classifier classifies the request');
    expect(trace(r)).toContain(
      'classifier router-classifier answered "4+5 = 9. The answer is 9.": router-model: router-classifier rated 9.0/10 → claude-sonnet-3.5',
    );
    await h.gateway.ledger.flush();
    const record = await h.gateway.ledger.get(String(r.body.request_id));
    expect(record?.attempts.map((a) => a.model)).toEqual(['router-classifier', 'claude-sonnet-3.5']);
    expect(record?.attempts.every((a) => a.costNanos > 0)).toBe(true);
    expect(record?.costNanos).toBe(record!.attempts[0]!.costNanos + record!.attempts[1]!.costNanos);
    expect(record?.model).toBe('claude-sonnet-3.5');
  });

  it('an easy rating goes to the weakest model', async () => {
    const r = await complete({ model: 'smart', prompt: 'What is 1+1?' });
    expect(r.body.model_used).toBe('gpt-4o-mini');
    expect(trace(r)).toContain('router-classifier rated 2.0/10 → gpt-4o-mini');
  });

  it("falls back to the local classifier's choice when the classifier call fails", async () => {
    const r = await complete({
      model: 'smart',
      prompt: 'What is 4+5? [[mock:fault=http_500@router-classifier]]',
    });
    expect(r.status).toBe(200);
    expect(r.body.model_used).toBe('gpt-4o-mini');
    expect(trace(r)).toMatch(
      /classifier router-classifier failed \(\w+\): local classifier's choice gpt-4o-mini/,
    );
    await h.gateway.ledger.flush();
    const record = await h.gateway.ledger.get(String(r.body.request_id));
    const attempts = record?.attempts ?? [];
    expect(attempts.at(-1)).toMatchObject({ model: 'gpt-4o-mini', status: 'ok' });
    expect(attempts.slice(0, -1).every((a) => a.model === 'router-classifier' && a.status === 'error')).toBe(
      true,
    );
  });
});

describe('switchyard ask --url', () => {
  async function askRemote(options: Omit<Parameters<typeof askCommand>[0], 'url' | 'json'>) {
    const output: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
    try {
      await askCommand({ ...options, url: h.url, json: true });
    } finally {
      write.mockRestore();
    }
    return JSON.parse(output.join('')) as OrchestrationResult;
  }

  it('forwards --ensemble-size to the gateway', async () => {
    const result = await askRemote({
      prompt: 'Should I use REST or GraphQL?',
      model: 'panel',
      ensembleSize: '2',
    });
    expect(result.strategy).toBe('ensemble');
    expect(result.ensemble_models).toHaveLength(2);
    expect(result.metadata.ensemble_size).toBe(2);
  });

  it('forwards --max-cost to the gateway', async () => {
    const result = await askRemote({
      prompt: 'Explain it',
      strategy: 'fallback',
      chain: 'gpt-4o-mini,claude-haiku-3.5,claude-sonnet-3.5',
      maxCost: '0.0002',
      maxTokens: '100',
    });
    expect(String(result.metadata.route_trace)).toMatch(
      /claude-haiku-3\.5 left out \(\$0\.\d+ est\. would pass max \$0\.00020\)/,
    );
    expect(result.fallback_chain).toEqual(['gpt-4o-mini']);
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
    // Each member is billed for what its upstream served, not the chosen member's usage.
    const served = h.mock.invoice.slice(-3);
    for (const attempt of record!.attempts) {
      const entry = served.find((e) => e.model === attempt.model);
      expect(entry, attempt.model).toBeDefined();
      expect([attempt.inputTokens, attempt.outputTokens]).toEqual([entry!.inputTokens, entry!.outputTokens]);
    }
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
