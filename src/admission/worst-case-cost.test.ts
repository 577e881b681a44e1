import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import type { ChatRequest } from '../core/chat.js';
import { adapterFor, defaultBaseUrl } from '../providers/index.js';
import { createRegistry } from '../registry/registry.js';
import type { RoutePlan } from '../routing/plan.js';
import { createPlanCoster, DEFAULT_OUTPUT_TOKENS, inputSize, planCost } from './worst-case-cost.js';

const { config } = parseConfigObject({
  providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'k' } },
  models: {
    // $1 per million in, $2 per million out: 1,000 nanos and 2,000 nanos a token.
    small: { pricing: { input_per_mtok: 1, output_per_mtok: 2 }, deployments: [{ provider: 'p' }] },
    // $10 / $20, and it never writes more than 1,000 tokens.
    big: {
      pricing: { input_per_mtok: 10, output_per_mtok: 20 },
      max_output_tokens: 1_000,
      deployments: [{ provider: 'p' }],
    },
    tiny: {
      pricing: { input_per_mtok: 1, output_per_mtok: 1 },
      context_window: 300,
      deployments: [{ provider: 'p' }],
    },
    embed: {
      capabilities: ['embeddings'],
      pricing: { input_per_mtok: 1, output_per_mtok: 0 },
      deployments: [{ provider: 'p' }],
    },
  },
});
const { registry } = createRegistry(config, { adapterFor, defaultBaseUrl });

function request(text: string, maxTokens?: number): ChatRequest {
  return {
    model: 'x',
    stream: false,
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    ...(maxTokens === undefined ? {} : { maxTokens }),
  };
}

const sequence = (
  models: string[],
  extra: Partial<Extract<RoutePlan, { kind: 'sequence' }>> = {},
): RoutePlan => ({
  kind: 'sequence',
  strategy: 'test',
  attempts: models.map((model) => ({ model })),
  reason: 'test',
  ...extra,
});

describe('inputSize', () => {
  it('bounds a chat prompt by its bytes plus framing, and estimates a quarter of that', () => {
    const size = inputSize(request('x'.repeat(400)));
    expect(size.upperBound).toBeGreaterThanOrEqual(400);
    expect(size.upperBound).toBeLessThan(450);
    expect(size.estimate).toBe(Math.ceil(size.upperBound / 4));
  });

  it('sizes embeddings input by bytes', () => {
    expect(inputSize({ model: 'embed', input: ['abcd', 'é'] })).toEqual({ upperBound: 5 + 3, estimate: 2 });
  });
});

describe('planCost', () => {
  const prompt = request('y'.repeat(984), 100);
  const size = inputSize(prompt);
  const input = size.upperBound;

  const cases: [string, RoutePlan, ChatRequest, number][] = [
    ['one step: prompt bound + max_tokens', sequence(['small']), prompt, input * 1_000 + 100 * 2_000],
    [
      'a fallback chain reserves its dearest step only',
      sequence(['small', 'big']),
      prompt,
      input * 10_000 + 100 * 20_000,
    ],
    [
      'escalation may run every step: steps add up',
      sequence(['small', 'big'], { escalate: { minConfidence: 0.7 } }),
      prompt,
      input * 1_000 + 100 * 2_000 + input * 10_000 + 100 * 20_000,
    ],
    [
      'hedging may run the dearest step twice',
      sequence(['small'], { hedgeAfterMs: 100 }),
      prompt,
      2 * (input * 1_000 + 100 * 2_000),
    ],
    [
      'no max_tokens: 4,096, clamped to the model’s output limit',
      sequence(['small', 'big']),
      request('y'.repeat(984)),
      Math.max(input * 1_000 + DEFAULT_OUTPUT_TOKENS * 2_000, input * 10_000 + 1_000 * 20_000),
    ],
    [
      'output never exceeds the context window',
      sequence(['tiny']),
      request('y'.repeat(984)),
      input * 1_000 + 300 * 1_000,
    ],
  ];
  // One coster for every case, as admission keeps one: what it remembers of a model is right for the next plan.
  const coster = createPlanCoster(registry);
  it.each(cases)('%s', (_name, plan, req, expected) => {
    expect(planCost(plan, req, inputSize(req), registry).worstCaseNanos).toBe(expected);
    expect(coster.cost(plan, req, inputSize(req)).worstCaseNanos).toBe(expected);
    expect(coster.worstCase(plan, req, inputSize(req))).toBe(expected);
  });

  it('a parallel plan adds its members, and a synthesising aggregator that reads every answer', () => {
    const plan: RoutePlan = {
      kind: 'parallel',
      strategy: 'ensemble',
      members: [{ model: 'small' }, { model: 'big' }],
      select: 'synthesize',
      aggregator: 'small',
      reason: 'test',
    };
    const cost = planCost(plan, prompt, size, registry);
    const members = input * 1_000 + 100 * 2_000 + input * 10_000 + 100 * 20_000;
    const aggregator = (input + 200) * 1_000 + 100 * 2_000;
    expect(cost.worstCaseNanos).toBe(members + aggregator);
    expect(cost.promptNanos).toBe(size.estimate * (1_000 + 10_000 + 1_000));
    expect(createPlanCoster(registry).worstCase(plan, prompt, size)).toBe(members + aggregator);
  });

  it('the prompt-only cost of a sequence is its cheapest step, estimated', () => {
    const cost = planCost(sequence(['big', 'small']), prompt, size, registry);
    expect(cost.promptNanos).toBe(size.estimate * 1_000);
  });

  it('embeddings cost their input only; unknown models cost nothing', () => {
    const embed = { model: 'embed', input: ['a'.repeat(99)] };
    expect(planCost(sequence(['embed']), embed, inputSize(embed), registry).worstCaseNanos).toBe(100 * 1_000);
    expect(planCost(sequence(['ghost']), prompt, size, registry).worstCaseNanos).toBe(0);
  });
});

describe('planCost of models called beside the steps', () => {
  const req = request('hello', 100);
  const size = inputSize(req);
  const alone = planCost(sequence(['small']), req, size, registry).worstCaseNanos;
  const bigAlone = planCost(sequence(['big']), req, size, registry).worstCaseNanos;

  it("adds a learned verifier's peer models: they answer the same prompt and are billed", () => {
    const weights = { peers: ['big'], features: [], intercept: 0, weights: [] };
    const plan: RoutePlan = {
      kind: 'sequence',
      strategy: 'fallback',
      attempts: [{ model: 'small', verifier: { task: 'qa', weights } }],
      reason: 'test',
    };
    expect(planCost(plan, req, size, registry).worstCaseNanos).toBe(alone + bigAlone);
  });

  it("adds router-model's classifier call and reserves for its dearest target", () => {
    const plan = sequence(['small'], {
      classifier: {
        model: 'tiny',
        request: request('rate this', 5),
        targets: [
          { model: 'small', threshold: 0 },
          { model: 'big', threshold: 0.5 },
        ],
      },
    });
    const classify = planCost(sequence(['tiny']), request('hello', 5), size, registry).worstCaseNanos;
    expect(planCost(plan, req, size, registry).worstCaseNanos).toBe(bigAlone + classify);
  });
});
