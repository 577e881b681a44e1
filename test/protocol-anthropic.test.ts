/**
 * The Anthropic protocol end to end: the official `openai` client talks to the gateway, which
 * talks to the mock upstream's Anthropic wire over real HTTP. Checks what the upstream received
 * (URL, headers, body as Anthropic documents them), what the client got back, and that the ledger
 * prices Anthropic's token classes — uncached input, cache reads, cache writes, output — exactly
 * as Anthropic's price sheet does.
 */

import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness.js';
import { emptyChatStream, readChatStream } from './helpers/openai-stream.js';
import {
  createGatewayClient,
  failureOf,
  lastUpstream,
  ledgerRecord,
  streamUserMessage,
} from './helpers/protocol.js';

const PROVIDER_KEY = 'sk-ant-test-provider-key-0123456789';

/** Claude Sonnet's published prices per million tokens: input, 5-minute cache write, cache read, output. */
const SONNET_PRICING = {
  input_per_mtok: 3,
  cache_write_per_mtok: 3.75,
  cached_input_per_mtok: 0.3,
  output_per_mtok: 15,
};

let h: Harness;
let client: OpenAI;

function claude(upstreamModel: string) {
  return { pricing: SONNET_PRICING, deployments: [{ provider: 'claude', model: upstreamModel }] };
}

beforeAll(async () => {
  h = await startHarness({
    mock: {
      models: {
        'claude-cached-upstream': { cached_tokens: 8000, cache_write_tokens: 1500, output_tokens: 100 },
      },
    },
    config: (mockUrl) => ({
      providers: { claude: { type: 'anthropic', base_url: mockUrl, api_key: PROVIDER_KEY } },
      models: {
        'claude-sonnet': claude('claude-sonnet-4-20250514'),
        'claude-cached': claude('claude-cached-upstream'),
        // Faults get models of their own, so their failures open no circuit the others use.
        'claude-cut': claude('claude-cut-upstream'),
        'claude-errors': claude('claude-errors-upstream'),
      },
      // One attempt per request: an upstream error reaches the client as the adapter classified it.
      execution: { max_retries: 0 },
    }),
  });
  client = createGatewayClient(h, 'unused-gateway-is-open');
});
afterAll(() => h.close());

describe('openai client → gateway → Anthropic upstream', () => {
  it('gets a chat completion; the upstream got exactly the documented request', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'claude-sonnet',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'What is 2+2?' },
        ],
      })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('claude-sonnet');
    expect(data.choices[0]?.message.content).toContain('4');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(response.headers.get('x-switchyard-provider')).toBe('claude');

    const upstream = lastUpstream(h);
    expect(upstream.method).toBe('POST');
    expect(upstream.path).toBe('/v1/messages');
    expect(upstream.headers['x-api-key']).toBe(PROVIDER_KEY);
    expect(upstream.headers['anthropic-version']).toBe('2023-06-01');
    expect(upstream.headers['content-type']).toBe('application/json');
    expect(upstream.headers.authorization).toBeUndefined();
    expect(upstream.body).toEqual({
      model: 'claude-sonnet-4-20250514',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'What is 2+2?' }],
      max_tokens: 4096,
    });
    const invoice = h.mock.invoice.at(-1)!;
    expect(data.usage?.prompt_tokens).toBe(invoice.inputTokens);
    expect(data.usage?.completion_tokens).toBe(invoice.outputTokens);
  });

  it('streams deltas and a final usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude-sonnet',
      messages: [{ role: 'user', content: 'Tell me about switchyards in a few words.' }],
      max_tokens: 300,
      temperature: 0.4,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, deltas, finish, usage } = await readChatStream(stream);
    expect(deltas).toBeGreaterThan(3);
    expect(text.length).toBeGreaterThan(10);
    expect(finish).toBe('stop');
    const invoice = h.mock.invoice.at(-1)!;
    expect(invoice).toMatchObject({ stream: true, completed: true });
    expect(usage?.prompt_tokens).toBe(invoice.inputTokens);
    expect(usage?.completion_tokens).toBe(invoice.outputTokens);
    expect(lastUpstream(h).body).toEqual({
      model: 'claude-sonnet-4-20250514',
      messages: [{ role: 'user', content: 'Tell me about switchyards in a few words.' }],
      max_tokens: 300,
      temperature: 0.4,
      stream: true,
    });
    expect(lastUpstream(h).headers.accept).toBe('text/event-stream');
  });

  it('runs a tool-call round trip', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          },
        },
      },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const first = await client.chat.completions.create({ model: 'claude-sonnet', messages, tools });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.id).toMatch(/^toolu_/);
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments) as { city: unknown };
    expect(typeof args.city).toBe('string');
    expect(lastUpstream(h).body.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Weather for a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ]);

    messages.push(first.choices[0]!.message, {
      role: 'tool',
      tool_call_id: call.id,
      content: 'Snowing, -3°C',
    });
    const second = await client.chat.completions.create({ model: 'claude-sonnet', messages, tools });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toContain('Snowing, -3°C');
    // The history went up as Anthropic wants it: a tool_use turn, then a tool_result turn.
    expect((lastUpstream(h).body.messages as unknown[]).slice(1)).toEqual([
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: call.id, name: 'get_weather', input: args }],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Snowing, -3°C' }] },
    ]);
  });

  it('answers a json_schema request with JSON matching the schema, through a forced tool', async () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, temperature_c: { type: 'number' } },
      required: ['city', 'temperature_c'],
      additionalProperties: false,
    };
    const result = await client.chat.completions.create({
      model: 'claude-sonnet',
      messages: [{ role: 'user', content: 'Weather in Oslo as JSON.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } },
    });
    const choice = result.choices[0]!;
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.tool_calls).toBeUndefined();
    const parsed = JSON.parse(choice.message.content ?? '') as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['city', 'temperature_c']);
    expect(typeof parsed.city).toBe('string');
    expect(typeof parsed.temperature_c).toBe('number');
    const body = lastUpstream(h).body;
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'switchyard_json_output' });
    expect(body.tools).toEqual([
      { name: 'switchyard_json_output', description: expect.any(String), input_schema: schema },
    ]);

    // JSON mode has no schema to force: the instruction goes into the system prompt.
    await client.chat.completions.create({
      model: 'claude-sonnet',
      messages: [{ role: 'user', content: 'Weather in Oslo as JSON.' }],
      response_format: { type: 'json_object' },
    });
    expect(lastUpstream(h).body.system).toMatch(/JSON object/);
    expect(lastUpstream(h).body).not.toHaveProperty('tools');
  });

  it('makes the openai client throw when the upstream stream is cut, never a normal stop', async () => {
    const stream = await streamUserMessage(
      client,
      'claude-cut',
      'Write a long story. [[mock:fault=sse_cut:5]]',
    );
    const read = emptyChatStream();
    await expect(readChatStream(stream, read)).rejects.toThrow();
    expect(read.text.length).toBeGreaterThan(0);
    expect(read.finish).toBeNull();
    const invoice = h.mock.invoice.at(-1)!;
    expect(invoice).toMatchObject({ completed: false, fault: 'sse_cut' });
  });

  it('maps upstream HTTP errors to gateway codes', async () => {
    const ask = (fault: string) =>
      failureOf(
        client.chat.completions.create({
          model: 'claude-errors',
          messages: [{ role: 'user', content: `Hi [[mock:fault=${fault}]]` }],
        }),
      );
    // Anthropic's 529 overloaded_error.
    const overloaded = await ask('http_503');
    expect(overloaded.status).toBe(503);
    expect(overloaded.code).toBe('MODEL_UNAVAILABLE');
    expect(h.mock.requests.at(-1)?.path).toBe('/v1/messages');

    const limited = await ask('http_429');
    expect(limited.status).toBe(429);
    expect(limited.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(limited.headers?.get('retry-after')).toBe('1');

    const rejected = await ask('http_500:400');
    expect(rejected.status).toBe(400);
    expect(rejected.code).toBe('MODEL_ERROR');

    const failed = await ask('http_500');
    expect(failed.status).toBe(502);
    expect(failed.code).toBe('MODEL_ERROR');
    // The provider key never reaches the client.
    expect(JSON.stringify(failed.error)).not.toContain(PROVIDER_KEY);
  });

  it('prices a cache-read-heavy request exactly as Anthropic’s price sheet does', async () => {
    // 9 994 one-token words + 3 framing tokens for the message + 3 reply-priming tokens = 10 000.
    const prompt = Array.from({ length: 9994 }, () => 'cache').join(' ');
    const { data, response } = await client.chat.completions
      .create({ model: 'claude-cached', messages: [{ role: 'user', content: prompt }] })
      .withResponse();
    const invoice = h.mock.invoice.at(-1)!;
    // The mock bills 8 000 cache reads, 1 500 cache writes, 500 uncached, 100 output tokens.
    expect(invoice).toMatchObject({
      inputTokens: 10_000,
      cachedInputTokens: 8000,
      cacheWriteTokens: 1500,
      outputTokens: 100,
    });
    expect(data.usage).toMatchObject({
      prompt_tokens: 10_000,
      completion_tokens: 100,
      prompt_tokens_details: { cached_tokens: 8000, cache_write_tokens: 1500 },
    });

    // By hand, from the price sheet ($/MTok): 500 × 3 + 8 000 × 0.30 + 1 500 × 3.75 + 100 × 15
    //   = $0.0015 + $0.0024 + $0.005625 + $0.0015 = $0.011025.
    const expectedNanos = 11_025_000;
    const record = await ledgerRecord(h, response);
    expect(record).toMatchObject({
      status: 'ok',
      model: 'claude-cached',
      provider: 'claude',
      inputTokens: 10_000,
      cachedInputTokens: 8000,
      cacheWriteTokens: 1500,
      outputTokens: 100,
      usageEstimated: false,
      costNanos: expectedNanos,
    });
    expect(response.headers.get('x-switchyard-cost-usd')).toBe('0.011025');
  });
});
