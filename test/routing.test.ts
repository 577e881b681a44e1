/**
 * Routing end to end: the seed 002 examples through a real gateway over HTTP (the default
 * models served by the mock upstream) — cheapest, budget refusal, a fallback cascade escalating
 * past a refusal, an ensemble of three — with the decision trace in the orchestration result,
 * and the confidence scorer on the gateway's real answers. A learned priors file
 * (`routing.priors_file`) gives `fallback` its learned chain, threshold and verifier, which asks
 * a peer model and decides on its agreement. Config check refuses routes named inside routes.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/defaults.js';
import { type ConfigError, parseConfigObject } from '../src/config/load.js';
import type { ConfigInput } from '../src/config/schema.js';
import type { ChatRequest } from '../src/core/chat.js';
import { scoreConfidence } from '../src/execution/confidence/index.js';
import { createGateway } from '../src/gateway/create-gateway.js';
import { orchestrate } from '../src/gateway/orchestrate.js';
import { SUPPORTED_PROVIDER_TYPES } from '../src/providers/index.js';
import { createOpenAIAdapter } from '../src/providers/openai/openai-adapter.js';
import type { PriorsJson } from '../src/routing/priors.js';
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

describe('learned priors (routing.priors_file) through the gateway', () => {
  // What `switchyard eval --train … --save-priors` writes: for the task `quiz`, cascade
  // quiz-mini → quiz-big at 0.5, and a verifier of quiz-mini's answers that reads whether
  // quiz-peer says the same (≈1 when they agree, ≈0 when not).
  const PRIORS: PriorsJson = {
    strength: 8,
    models: {
      'quiz-mini': { quality: 0.7, costPerQuery: 0.0001, samples: 500 },
      'quiz-peer': { quality: 0.65, costPerQuery: 0.0001, samples: 500 },
      'quiz-big': { quality: 0.9, costPerQuery: 0.003, samples: 500 },
    },
    tasks: {},
    cascades: { quiz: { chain: ['quiz-mini', 'quiz-big'], minConfidence: 0.5 } },
    verifiers: {
      quiz: {
        'quiz-mini': { peers: ['quiz-peer'], features: ['agrees:quiz-peer'], intercept: -10, weights: [20] },
      },
    },
  };
  let learned: Harness;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-priors-'));
    const priorsFile = join(dir, 'priors.json');
    writeFileSync(priorsFile, JSON.stringify(PRIORS));
    const model = (price: number, upstream: string) => ({
      tier: 'basic' as const,
      pricing: { input_per_mtok: price, output_per_mtok: price * 4 },
      deployments: [{ provider: 'mock', model: upstream }],
    });
    learned = await startHarness({
      storage: 'memory',
      config: (url) => ({
        providers: {
          mock: { type: 'openai', base_url: `${url}/v1`, api_key: 'sk-test-provider-key-0123456789' },
        },
        models: {
          'quiz-mini': model(0.15, 'quiz-mini'),
          'quiz-peer': model(0.2, 'quiz-peer'),
          'quiz-big': model(5, 'quiz-big'),
        },
        routing: { priors_file: priorsFile },
      }),
    });
  });
  afterAll(async () => {
    await learned?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function quiz(prompt: string) {
    const response = await fetch(`${learned.url}/v1/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-switchyard-strategy': 'fallback',
        'x-switchyard-task': 'quiz',
      },
      body: JSON.stringify({ prompt }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  it('fallback runs the learned chain; the verifier asks the peer, agrees, and accepts the cheap answer', async () => {
    const before = learned.mock.requests.length;
    const r = await quiz('What is 2+2?');
    expect(r.status).toBe(200);
    expect(r.body.model_used).toBe('quiz-mini');
    // The peer was asked too: two upstream calls, both in the ledger record.
    expect(learned.mock.requests.length - before).toBe(2);
    expect(r.headers.get('x-switchyard-route')).toContain('learned chain quiz-mini -> quiz-big');
    const trace = String((r.body.metadata as { route_trace: string }).route_trace);
    expect(trace).toContain('escalate below confidence 0.5 (learned)');
    expect(trace).toMatch(
      /quiz-mini: confidence 1\.00 ≥ 0\.5 — verifier P\(correct\) 1 \(agrees with quiz-peer 1\), learned for quiz, accepted/,
    );
    expect(r.body.confidence).toBeGreaterThan(0.99);
    await learned.gateway.ledger.flush();
    const record = await learned.gateway.ledger.get(String(r.body.request_id));
    expect(record?.attempts.map((a) => a.model).sort()).toEqual(['quiz-mini', 'quiz-peer']);
    expect(record?.attempts.at(-1)?.model).toBe('quiz-mini');
    expect(record?.model).toBe('quiz-mini');
    expect(record?.costNanos).toBe(record!.attempts.reduce((sum, a) => sum + a.costNanos, 0));
  });

  it('when the peer disagrees the verifier escalates to the strong model, and every call is billed', async () => {
    const r = await quiz('What is 2+2? [[mock:refuse@quiz-peer]]');
    expect(r.status).toBe(200);
    expect(r.body.model_used).toBe('quiz-big');
    const trace = String((r.body.metadata as { route_trace: string }).route_trace);
    expect(trace).toMatch(
      /quiz-mini: confidence 0\.00 < 0\.5 — verifier P\(correct\) 0 \(agrees with quiz-peer 0\)/,
    );
    expect(trace).toMatch(/quiz-big: confidence 0\.\d+ ≥ 0\.5, accepted/);
    await learned.gateway.ledger.flush();
    const record = await learned.gateway.ledger.get(String(r.body.request_id));
    expect(record?.attempts).toHaveLength(3);
    // The answering attempt is last, where accounting reads the answer's usage.
    expect(record?.attempts.at(-1)?.model).toBe('quiz-big');
    expect(record?.attempts.every((a) => a.costNanos > 0)).toBe(true);
    expect(record?.costNanos).toBe(record!.attempts.reduce((sum, a) => sum + a.costNanos, 0));
  });

  it('a bad priors file stops the gateway at start with a line naming the path', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        ...PRIORS,
        verifiers: {
          quiz: { 'quiz-mini': { ...PRIORS.verifiers!.quiz!['quiz-mini']!, features: ['vibes'] } },
        },
      }),
    );
    const { config } = parseConfigObject({ storage: { url: 'memory://' }, routing: { priors_file: bad } });
    await expect(createGateway(config, { jobs: false })).rejects.toThrow(
      /routing\.priors_file \(.*bad\.json\)\.verifiers\.quiz\.quiz-mini\.features\.0: unknown feature "vibes"/,
    );
  });
});

describe('config check: strategies take model names', () => {
  it('a route named in another route is refused, one line naming the path', () => {
    const input = {
      providers: { sim: { type: 'simulator' as const } },
      models: { m: { deployments: [{ provider: 'sim' }] } },
      routes: {
        inner: { strategy: 'cheapest' as const },
        outer: { strategy: 'fallback' as const, chain: ['m', 'inner'] },
        panel: { strategy: 'ensemble' as const, models: ['inner', 'm'] },
      },
    };
    let problems: string[] = [];
    try {
      parseConfigObject(input);
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      'routes.outer.chain.1: "inner" is a route; name models here (routes do not nest)',
      'routes.panel.models.0: "inner" is a route; name models here (routes do not nest)',
    ]);
  });
});
