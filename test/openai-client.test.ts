/**
 * The official `openai` npm client, pointed at the gateway, which forwards to the mock upstream
 * over real HTTP.
 */

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness.js';
import { readChatStream } from './helpers/openai-stream.js';

let h: Harness;
let client: OpenAI;

beforeAll(async () => {
  h = await startHarness();
  client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'unused-gateway-is-open', maxRetries: 0 });
});
afterAll(() => h.close());

function lastUpstreamBody(): Record<string, unknown> {
  const request = h.mock.requests.at(-1);
  if (!request) throw new Error('the mock upstream received nothing');
  return request.body as Record<string, unknown>;
}

describe('openai client through the gateway', () => {
  it('gets a chat completion', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is 2+2?' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('gpt-4o-mini');
    expect(data.choices[0]?.message.content).toContain('4');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-model')).toBe('gpt-4o-mini');
    expect(response.headers.get('x-switchyard-provider')).toBe('mock');
    expect(response.headers.get('x-switchyard-strategy')).toBe('direct');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    // The harness runs without a response cache: nothing was looked up.
    expect(response.headers.get('x-switchyard-cache')).toBe('skip');
    expect(response.headers.get('x-switchyard-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(response.headers.get('x-switchyard-cost-usd'))).toBeGreaterThan(0);
    // The upstream got the upstream model id and the provider key, not the client's.
    const upstream = h.mock.requests.at(-1)!;
    expect(upstream.headers.authorization).toBe('Bearer sk-test-provider-key-0123456789');
    expect(lastUpstreamBody().model).toBe('gpt-4o-mini');
  });

  it('streams deltas and a final usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Tell me about switchyards in a few words.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage, chunks } = await readChatStream(stream);
    expect(chunks).toBeGreaterThan(3);
    expect(text.length).toBeGreaterThan(10);
    expect(finish).toBe('stop');
    const invoice = h.mock.invoice.at(-1)!;
    expect(usage?.prompt_tokens).toBe(invoice.inputTokens);
    expect(usage?.completion_tokens).toBe(invoice.outputTokens);
    // Towards the upstream the gateway always asks for usage, so it can account.
    expect(lastUpstreamBody().stream_options).toEqual({ include_usage: true });
  });

  it('gets an embedding', async () => {
    const result = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['hello', 'world'],
    });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding.length).toBeGreaterThan(8);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    const norm = Math.hypot(...(result.data[0]?.embedding ?? []));
    expect(norm).toBeCloseTo(1, 3);
  });

  it('lists models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small']));
    const one = await client.models.retrieve('gpt-4o');
    expect(one.id).toBe('gpt-4o');
  });

  it('passes a tool-call round trip through unchanged', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
            required: ['city', 'unit'],
            additionalProperties: false,
          },
          strict: true,
        },
      },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const first = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      tools,
      tool_choice: 'auto',
    });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toMatchObject({ city: expect.any(String), unit: 'c' });
    const sentFirst = lastUpstreamBody();
    expect(sentFirst.tools).toEqual(tools);
    expect(sentFirst.tool_choice).toBe('auto');

    const followUp: OpenAI.ChatCompletionMessageParam[] = [
      ...messages,
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: call.id, content: '{"temp": 3, "unit": "c"}' },
    ];
    const second = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: followUp, tools });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toContain('temp');
    expect(lastUpstreamBody().messages).toEqual(followUp);
  });

  it('streams a tool call', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Look up order 42' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            parameters: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
          },
        },
      ],
      stream: true,
    });
    let name = '';
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      const call = delta?.tool_calls?.[0];
      if (call?.function?.name) name += call.function.name;
      if (call?.function?.arguments) args += call.function.arguments;
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
    }
    expect(name).toBe('lookup');
    expect(JSON.parse(args)).toEqual({ id: expect.any(Number) });
    expect(finish).toBe('tool_calls');
  });

  it('passes response_format json_schema through unchanged and gets schema-valid JSON', async () => {
    const responseFormat: OpenAI.ResponseFormatJSONSchema = {
      type: 'json_schema',
      json_schema: {
        name: 'person',
        strict: true,
        schema: {
          type: 'object',
          properties: { name: { type: 'string' }, age: { type: 'integer' } },
          required: ['name', 'age'],
          additionalProperties: false,
        },
      },
    };
    const result = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Extract the person.' },
        { role: 'user', content: 'Ada, 36' },
      ],
      response_format: responseFormat,
      temperature: 0,
      seed: 7,
    });
    const sent = lastUpstreamBody();
    expect(sent.response_format).toEqual(responseFormat);
    expect(sent.temperature).toBe(0);
    expect(sent.seed).toBe(7);
    const parsed = JSON.parse(result.choices[0]?.message.content ?? '');
    expect(parsed).toEqual({ name: expect.any(String), age: expect.any(Number) });
  });

  it('answers the seed orchestration shape on /v1/completions', async () => {
    const response = await fetch(`${h.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'What is 2+2?', model: 'gpt-4o-mini', max_tokens: 50 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.object).toBe('text_completion');
    expect(body.response).toContain('4');
    expect(body.model_used).toBe('gpt-4o-mini');
    expect(body.strategy).toBe('direct');
    expect(body.fallback_chain).toEqual(['gpt-4o-mini']);
    expect(body.cost).toBeGreaterThan(0);
    expect(body.tokens_used).toMatchObject({ input: expect.any(Number), output: expect.any(Number) });
    expect(body.request_id).toBe(response.headers.get('x-switchyard-request-id'));
  });
});
