/**
 * The Anthropic wire in: the official `@anthropic-ai/sdk` talks to the gateway's `/v1/messages`,
 * which routes to upstreams of any protocol on the mock over real HTTP. Each row of UPSTREAMS is
 * one upstream protocol; adding a protocol is one more row.
 */

import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { type Harness, startHarness } from './helpers/harness.js';

interface UpstreamRow {
  /** Provider name in the config, and the prefix of its models. */
  name: string;
  provider: (mockUrl: string) => NonNullable<ConfigInput['providers']>[string];
  /** Upstream model id the mock is asked for. */
  model: string;
}

const UPSTREAMS: UpstreamRow[] = [
  {
    name: 'openai',
    provider: (url) => ({ type: 'openai', base_url: `${url}/v1`, api_key: 'sk-test-openai-key-0123456789' }),
    model: 'gpt-4o-mini',
  },
  {
    name: 'anthropic',
    provider: (url) => ({ type: 'anthropic', base_url: url, api_key: 'sk-ant-test-key-0123456789' }),
    model: 'claude-sonnet-4-20250514',
  },
  {
    name: 'gemini',
    provider: (url) => ({ type: 'gemini', base_url: url, api_key: 'AIzaSy-test-gemini-key-0123456789' }),
    model: 'gemini-2.5-flash',
  },
];

const PRICING = {
  input_per_mtok: 3,
  output_per_mtok: 15,
  cached_input_per_mtok: 0.3,
  cache_write_per_mtok: 3.75,
};

let h: Harness;
let client: Anthropic;

beforeAll(async () => {
  h = await startHarness({
    config: (mockUrl) => {
      const models: NonNullable<ConfigInput['models']> = {};
      for (const row of UPSTREAMS) {
        const deployments = [{ provider: row.name, model: row.model }];
        models[row.name] = { pricing: PRICING, deployments };
        // Faults get models of their own, so their failures open no circuit the others use.
        models[`${row.name}-faults`] = { pricing: PRICING, deployments };
      }
      return {
        providers: Object.fromEntries(UPSTREAMS.map((row) => [row.name, row.provider(mockUrl)])),
        models,
        execution: { max_retries: 0 },
      };
    },
  });
  client = new Anthropic({ baseURL: h.url, apiKey: 'unused-gateway-is-open', maxRetries: 0 });
});
afterAll(() => h.close());

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe.each(UPSTREAMS)('Anthropic SDK → gateway → $name upstream', (row) => {
  it('gets a message', async () => {
    const { data, response } = await client.messages
      .create({
        model: row.name,
        max_tokens: 200,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'What is 2+2?' }],
      })
      .withResponse();
    expect(data.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.model).toBe(row.name);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.content).toEqual([{ type: 'text', text: expect.stringContaining('4') }]);
    expect(response.headers.get('x-switchyard-provider')).toBe(row.name);
    expect(response.headers.get('request-id')).toBe(response.headers.get('x-switchyard-request-id'));
    expect(Number(response.headers.get('x-switchyard-cost-usd'))).toBeGreaterThan(0);
    const invoice = h.mock.invoice.at(-1)!;
    const usage = data.usage;
    expect(
      (usage.input_tokens ?? 0) +
        (usage.cache_read_input_tokens ?? 0) +
        (usage.cache_creation_input_tokens ?? 0),
    ).toBe(invoice.inputTokens);
    expect(usage.output_tokens).toBe(invoice.outputTokens);
    expect(invoice.stream).toBe(false);
  });

  it('streams text deltas and the final usage', async () => {
    const stream = client.messages.stream({
      model: row.name,
      max_tokens: 300,
      messages: [{ role: 'user', content: 'Tell me about switchyards in a few words.' }],
    });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const final = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(3);
    expect(final.content).toEqual([{ type: 'text', text: deltas.join('') }]);
    expect(final.stop_reason).toBe('end_turn');
    const invoice = h.mock.invoice.at(-1)!;
    expect(invoice).toMatchObject({ stream: true, completed: true });
    const usage = final.usage;
    expect(
      (usage.input_tokens ?? 0) +
        (usage.cache_read_input_tokens ?? 0) +
        (usage.cache_creation_input_tokens ?? 0),
    ).toBe(invoice.inputTokens);
    expect(usage.output_tokens).toBe(invoice.outputTokens);
  });

  it('runs a tool-call round trip', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const first = await client.messages.create({
      model: row.name,
      max_tokens: 300,
      tools: [weatherTool],
      messages,
    });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
    expect(call).toBeDefined();
    expect(call!.id).not.toBe('');
    expect(call!.name).toBe('get_weather');
    expect(typeof (call!.input as { city?: unknown }).city).toBe('string');

    messages.push(
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call!.id, content: 'Snowing, -3°C' }] },
    );
    // The second turn streams, so the tool result also travels the streaming path.
    const second = await client.messages
      .stream({ model: row.name, max_tokens: 300, tools: [weatherTool], messages })
      .finalMessage();
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('Snowing, -3°C') });
  });

  it('makes the SDK throw when the upstream stream is cut', async () => {
    const stream = client.messages.stream({
      model: `${row.name}-faults`,
      max_tokens: 300,
      messages: [{ role: 'user', content: 'Write a long story. [[mock:fault=sse_cut:5]]' }],
    });
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    await expect(stream.finalMessage()).rejects.toThrow();
    // Content had been committed before the cut: the failure came as an error event.
    expect(text.length).toBeGreaterThan(0);
    expect(h.mock.invoice.at(-1)).toMatchObject({ completed: false, fault: 'sse_cut' });
  });

  it('answers an upstream failure in Anthropic’s error envelope', async () => {
    const error = await client.messages
      .create({
        model: `${row.name}-faults`,
        max_tokens: 50,
        messages: [{ role: 'user', content: 'Hi [[mock:fault=http_503]]' }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(503);
    expect(apiError.type).toBe('overloaded_error');
    expect(apiError.error).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error', code: 'MODEL_UNAVAILABLE' },
      request_id: apiError.headers?.get('x-switchyard-request-id'),
    });
  });
});

describe('Anthropic SDK → gateway: Anthropic upstream only', () => {
  it('round-trips thinking with its signature through a tool loop', async () => {
    h.mock.setModelProfile('claude-sonnet-4-20250514', { reasoning_tokens: 25 });
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const params = {
      model: 'anthropic',
      max_tokens: 3000,
      thinking: { type: 'enabled' as const, budget_tokens: 1024 },
      tools: [weatherTool],
    };
    const first = await client.messages.create({ ...params, messages });
    expect(first.content.map((block) => block.type)).toEqual(['thinking', 'tool_use']);
    const thinking = first.content[0] as Anthropic.ThinkingBlock;
    expect(thinking.signature).toMatch(/^mock-signature-/);
    const call = first.content[1] as Anthropic.ToolUseBlock;
    messages.push(
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Sunny' }] },
    );
    const second = await client.messages.create({ ...params, messages });
    expect(second.content.at(-1)).toMatchObject({ type: 'text', text: expect.stringContaining('Sunny') });
    // The upstream got the thinking block back, signature and all (the mock rejects unsigned ones).
    const upstream = h.mock.requests.at(-1)!.body as { messages: { content: unknown }[]; thinking: unknown };
    expect(upstream.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(upstream.messages[1]!.content).toEqual([
      { type: 'thinking', thinking: thinking.thinking, signature: thinking.signature },
      { type: 'tool_use', id: call.id, name: 'get_weather', input: call.input },
    ]);
    h.mock.setModelProfile('claude-sonnet-4-20250514', {});
  });

  it('rejects a malformed request in Anthropic’s envelope, naming the field', async () => {
    const error = await client.messages
      .create({
        model: 'anthropic',
        max_tokens: 50,
        messages: [{ role: 'user', content: [{ type: 'text' }] }],
      } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    const apiError = error as InstanceType<typeof Anthropic.BadRequestError>;
    expect(apiError.type).toBe('invalid_request_error');
    expect(apiError.error).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        code: 'INVALID_REQUEST',
        message: expect.stringMatching(/^messages\.0\.content\.0\.text: /),
        details: { field: 'messages.0.content.0.text' },
      },
    });
  });
});

describe('Anthropic SDK → gateway with a master key', () => {
  let keyed: Harness;

  beforeAll(async () => {
    keyed = await startHarness({
      config: (mockUrl) => ({
        auth: { master_key: 'sy-master-key-0123456789' },
        providers: {
          anthropic: { type: 'anthropic', base_url: mockUrl, api_key: 'sk-ant-test-key-0123456789' },
        },
        models: { claude: { pricing: PRICING, deployments: [{ provider: 'anthropic', model: 'claude-x' }] } },
      }),
    });
  });
  afterAll(() => keyed.close());

  it('accepts the key as the SDK sends it, and as x-api-key', async () => {
    const sdk = new Anthropic({ baseURL: keyed.url, apiKey: 'sy-master-key-0123456789', maxRetries: 0 });
    const message = await sdk.messages.create({
      model: 'claude',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(message.type).toBe('message');
    const response = await fetch(`${keyed.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'sy-master-key-0123456789',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(response.status).toBe(200);
    const wrong = await new Anthropic({ baseURL: keyed.url, apiKey: 'wrong', maxRetries: 0 }).messages
      .create({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(Anthropic.AuthenticationError);
  });
});
