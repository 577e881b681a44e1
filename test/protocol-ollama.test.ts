/**
 * Ollama's native protocol end to end: the official `openai` client talks to the gateway, which
 * talks to the mock upstream's Ollama wire (`/api/chat`, NDJSON streams, `/api/embed`) over real
 * HTTP. Asserts what Ollama documents on the wire, what the client gets back, and that the
 * ledger's tokens and cost match the mock's invoice priced independently. Ollama's
 * OpenAI-compatible endpoint is configuration only: the `openai` type at `…/v1`.
 */

import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness.js';
import { emptyChatStream, readChatStream } from './helpers/openai-stream.js';
import {
  attemptCodes,
  createGatewayClient,
  failureOf,
  lastUpstream,
  ledgerRecord,
  streamUserMessage,
} from './helpers/protocol.js';

let h: Harness;
let client: OpenAI;

/** Local models are free; these prices only make the cost recomputation meaningful. */
const LLAMA = { input: 0.1, output: 0.4 };
const QWEN = { input: 0.2, output: 0.8 };
const EMBED = { input: 0.05 };

beforeAll(async () => {
  h = await startHarness({
    mock: {
      models: {
        'llama3.2': { output_tokens: 24 },
        'qwen3:8b': { output_tokens: 8, reasoning_tokens: 5 },
        'nomic-embed-text': { dimensions: 32 },
        'not-pulled': { faults: [{ kind: 'http_500', status: 404 }] },
      },
    },
    config: (url) => ({
      providers: {
        ollama: { type: 'ollama', base_url: url },
        'ollama-cloud': { type: 'ollama', base_url: `${url}/api`, api_key: 'ollama-cloud-key-0123456789' },
        'ollama-openai': { type: 'openai', base_url: `${url}/v1`, api_key: 'ollama' },
      },
      models: {
        'llama3.2': {
          pricing: { input_per_mtok: LLAMA.input, output_per_mtok: LLAMA.output },
          deployments: [{ provider: 'ollama', model: 'llama3.2' }],
        },
        qwen3: {
          pricing: { input_per_mtok: QWEN.input, output_per_mtok: QWEN.output },
          deployments: [{ provider: 'ollama', model: 'qwen3:8b' }],
        },
        'cloud-llama': {
          pricing: { input_per_mtok: LLAMA.input, output_per_mtok: LLAMA.output },
          deployments: [{ provider: 'ollama-cloud', model: 'llama3.2' }],
        },
        'missing-model': { deployments: [{ provider: 'ollama', model: 'not-pulled' }] },
        // Smooth weighted round-robin tries the heavier deployment first: the one not pulled.
        'llama-with-missing': {
          pricing: { input_per_mtok: LLAMA.input, output_per_mtok: LLAMA.output },
          deployments: [
            { provider: 'ollama', model: 'not-pulled', weight: 2 },
            { provider: 'ollama', model: 'llama3.2', weight: 1 },
          ],
        },
        'nomic-embed-text': {
          capabilities: ['embeddings'],
          pricing: { input_per_mtok: EMBED.input, output_per_mtok: 0 },
          deployments: [{ provider: 'ollama', model: 'nomic-embed-text' }],
        },
        'llama-openai-compat': { deployments: [{ provider: 'ollama-openai', model: 'llama3.2' }] },
      },
    }),
  });
  client = createGatewayClient(h);
});
afterAll(() => h.close());

/** $/Mtok × tokens in nano-dollars, written out independently of the gateway's code. */
function nanos(prices: { input: number; output?: number }, input: number, output: number): number {
  return Math.round(input * prices.input * 1000 + output * (prices.output ?? 0) * 1000);
}

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the weather in a given city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', description: 'The city to get the weather for' } },
      required: ['city'],
    },
  },
};

describe('Ollama native protocol through the gateway', () => {
  it('non-stream: POST /api/chat with stream false and options; usage and cost from the counts', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'llama3.2',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hello.' },
        ],
        max_tokens: 64,
        temperature: 0.2,
        seed: 7,
        stop: ['\n\n'],
      })
      .withResponse();
    const sent = lastUpstream(h);
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/api/chat');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers.accept).toBe('application/json');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'llama3.2',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello.' },
      ],
      stream: false,
      options: { temperature: 0.2, num_predict: 64, stop: ['\n\n'], seed: 7 },
    });

    const invoice = h.mock.invoice.at(-1)!;
    expect(invoice).toMatchObject({ model: 'llama3.2', outputTokens: 24, completed: true });
    expect(data.choices[0]?.message.content).toMatch(/\w/);
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: invoice.inputTokens, completion_tokens: 24 });
    expect(response.headers.get('x-switchyard-provider')).toBe('ollama');

    const record = await ledgerRecord(h, response);
    expect(record).toMatchObject({
      status: 'ok',
      model: 'llama3.2',
      provider: 'ollama',
      stream: false,
      inputTokens: invoice.inputTokens,
      outputTokens: invoice.outputTokens,
      usageEstimated: false,
    });
    expect(record.costNanos).toBe(nanos(LLAMA, invoice.inputTokens, invoice.outputTokens));
    expect(record.costNanos).toBeGreaterThan(0);
  });

  it('stream: NDJSON upstream becomes OpenAI deltas with the usage of the done line', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'Tell me about switchyards.' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    const { text, finish, usage, deltas } = await readChatStream(stream);
    const sent = lastUpstream(h);
    expect(sent.path).toBe('/api/chat');
    expect(sent.headers.accept).toBe('application/x-ndjson');
    expect(sent.body).toEqual({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Tell me about switchyards.' }],
      stream: true,
    });
    const invoice = h.mock.invoice.at(-1)!;
    expect(invoice).toMatchObject({ stream: true, completed: true, outputTokens: 24 });
    expect(deltas).toBe(24);
    expect(text.length).toBeGreaterThan(24);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: invoice.inputTokens, completion_tokens: 24 });

    const record = await ledgerRecord(h, response);
    expect(record).toMatchObject({
      status: 'ok',
      stream: true,
      inputTokens: invoice.inputTokens,
      outputTokens: 24,
      usageEstimated: false,
    });
    expect(record.costNanos).toBe(nanos(LLAMA, invoice.inputTokens, 24));
  });

  it('tool round trip: whole tool call out, tool result in with tool_name, then the answer', async () => {
    const question: OpenAI.ChatCompletionMessageParam = {
      role: 'user',
      content: 'What is the weather in Tokyo?',
    };
    const first = await client.chat.completions.create({
      model: 'llama3.2',
      messages: [question],
      tools: [weatherTool],
    });
    expect(lastUpstream(h).body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Get the weather in a given city',
          parameters: weatherTool.function.parameters,
        },
      },
    ]);
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.id).toBe('call_0');
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments) as { city: unknown };
    expect(typeof args.city).toBe('string');

    const second = await client.chat.completions.create({
      model: 'llama3.2',
      tools: [weatherTool],
      messages: [
        question,
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '11 degrees celsius' },
      ],
    });
    const sent = lastUpstream(h).body.messages as unknown[];
    expect(sent.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ id: 'call_0', function: { name: 'get_weather', arguments: args } }],
      },
      { role: 'tool', content: '11 degrees celsius', tool_name: 'get_weather', tool_call_id: 'call_0' },
    ]);
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toContain('11 degrees celsius');
  });

  it('streams a tool call as one whole delta', async () => {
    const stream = await client.chat.completions.create({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Weather in Oslo, streamed?' }],
      tools: [weatherTool],
      stream: true,
    });
    const { toolCalls: calls, finish } = await readChatStream(stream);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ index: 0, id: 'call_0', function: { name: 'get_weather' } });
    expect(JSON.parse(calls[0]!.function!.arguments!)).toEqual({ city: expect.any(String) });
    expect(finish).toBe('tool_calls');
  });

  it('JSON schema goes as `format: <schema>`, JSON mode as `format: "json"`', async () => {
    const schema = {
      type: 'object',
      properties: { age: { type: 'integer' }, available: { type: 'boolean' } },
      required: ['age', 'available'],
      additionalProperties: false,
    };
    const structured = await client.chat.completions.create({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Ollama is 22 years old and busy saving the world.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'status', schema, strict: true } },
    });
    expect(lastUpstream(h).body.format).toEqual(schema);
    const value = JSON.parse(structured.choices[0]!.message.content!) as { age: unknown; available: unknown };
    expect(Number.isInteger(value.age)).toBe(true);
    expect(typeof value.available).toBe('boolean');

    const json = await client.chat.completions.create({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Answer in JSON.' }],
      response_format: { type: 'json_object' },
    });
    expect(lastUpstream(h).body.format).toBe('json');
    expect(() => JSON.parse(json.choices[0]!.message.content!)).not.toThrow();
  });

  it('a stream cut before the done line ends in an error for the client, never a normal stop', async () => {
    const stream = await streamUserMessage(client, 'llama3.2', 'Tell me a story [[mock:fault=sse_cut:5]]');
    const read = emptyChatStream();
    await expect(readChatStream(stream, read)).rejects.toThrow(/stream ended before the message did/);
    expect(read.finish).toBeNull();
    expect(read.text.length).toBeGreaterThan(0);
    expect(h.mock.invoice.at(-1)).toMatchObject({ outputTokens: 5, completed: false, fault: 'sse_cut' });
  });

  it('an in-band {"error": …} line mid-stream reaches the client as an error', async () => {
    const stream = await streamUserMessage(client, 'llama3.2', 'Go on [[mock:fault=inband_error:3]]');
    await expect(readChatStream(stream)).rejects.toThrow(/error mid-stream/);
  });

  it('a model that is not pulled (404) is MODEL_UNAVAILABLE, and another deployment takes over', async () => {
    const before = h.mock.requests.length;
    const apiError = await failureOf(
      client.chat.completions.create({
        model: 'missing-model',
        messages: [{ role: 'user', content: 'Hello?' }],
      }),
    );
    // The executor may try the deployment again before giving up; every attempt was the 404.
    const attempts = attemptCodes(apiError);
    expect(attempts.length).toBeGreaterThan(0);
    for (const attempt of attempts) expect(attempt).toMatchObject({ code: 'MODEL_UNAVAILABLE', status: 503 });
    if (apiError.code === 'MODEL_UNAVAILABLE') expect(apiError.status).toBe(503);
    expect(h.mock.requests.slice(before).every((r) => r.path === '/api/chat')).toBe(true);
    expect((h.mock.requests.at(-1)!.body as { model: string }).model).toBe('not-pulled');

    const { data, response } = await client.chat.completions
      .create({ model: 'llama-with-missing', messages: [{ role: 'user', content: 'Hello again?' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toMatch(/\w/);
    const tried = h.mock.requests.slice(-2).map((r) => (r.body as { model: string }).model);
    expect(tried).toEqual(['not-pulled', 'llama3.2']);
    const record = await ledgerRecord(h, response);
    expect(record.status).toBe('ok');
    expect(record.attempts).toHaveLength(2);
    expect(record.attempts[0]).toMatchObject({ status: 'error', errorCode: 'MODEL_UNAVAILABLE' });
    expect(record.attempts[1]).toMatchObject({ status: 'ok' });
  });

  it('reasoning effort becomes `think`; thinking tokens are billed inside eval_count', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'qwen3',
        messages: [{ role: 'user', content: 'What is 17 times 23?' }],
        reasoning_effort: 'low',
      })
      .withResponse();
    expect(lastUpstream(h).body).toMatchObject({ model: 'qwen3:8b', think: 'low', stream: false });
    const invoice = h.mock.invoice.at(-1)!;
    expect(invoice).toMatchObject({ reasoningTokens: 5 });
    expect(data.usage?.completion_tokens).toBe(invoice.outputTokens);
    const record = await ledgerRecord(h, response);
    expect(record).toMatchObject({ inputTokens: invoice.inputTokens, outputTokens: invoice.outputTokens });
    expect(record.costNanos).toBe(nanos(QWEN, invoice.inputTokens, invoice.outputTokens));
  });

  it('images go as base64 in `images`; an image URL is refused before any call', async () => {
    const png =
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    await client.chat.completions.create({
      model: 'llama3.2',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
          ],
        },
      ],
    });
    expect(lastUpstream(h).body.messages).toEqual([
      { role: 'user', content: 'What is in this picture?', images: [png] },
    ]);

    const before = h.mock.requests.length;
    const refused = await failureOf(
      client.chat.completions.create({
        model: 'llama3.2',
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }],
          },
        ],
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.code).toBe('INVALID_REQUEST');
    expect(h.mock.requests.length).toBe(before);
  });

  it('ollama.com: Bearer key, and a base URL that already ends in /api', async () => {
    await client.chat.completions.create({
      model: 'cloud-llama',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const sent = lastUpstream(h);
    expect(sent.path).toBe('/api/chat');
    expect(sent.headers.authorization).toBe('Bearer ollama-cloud-key-0123456789');
  });

  it('embeddings: POST /api/embed, vectors back, prompt count as usage and cost', async () => {
    const { data, response } = await client.embeddings
      .create({ model: 'nomic-embed-text', input: ['Why is the sky blue?', 'Why is the grass green?'] })
      .withResponse();
    const sent = lastUpstream(h);
    expect(sent.path).toBe('/api/embed');
    expect(sent.body).toEqual({
      model: 'nomic-embed-text',
      input: ['Why is the sky blue?', 'Why is the grass green?'],
    });
    expect(data.data).toHaveLength(2);
    expect(data.data[0]?.embedding).toHaveLength(32);
    const invoice = h.mock.invoice.at(-1)!;
    expect(invoice).toMatchObject({ endpoint: 'embeddings', model: 'nomic-embed-text' });
    expect(data.usage.prompt_tokens).toBe(invoice.inputTokens);
    const record = await ledgerRecord(h, response);
    expect(record).toMatchObject({
      inputTokens: invoice.inputTokens,
      outputTokens: 0,
      usageEstimated: false,
    });
    expect(record.costNanos).toBe(nanos(EMBED, invoice.inputTokens, 0));

    await client.embeddings.create({ model: 'nomic-embed-text', input: 'short', dimensions: 8 });
    expect(lastUpstream(h).body).toEqual({ model: 'nomic-embed-text', input: ['short'], dimensions: 8 });
  });
});

describe("Ollama's OpenAI-compatible endpoint", () => {
  it('is configuration only: the openai type with base_url …/v1', async () => {
    const result = await client.chat.completions.create({
      model: 'llama-openai-compat',
      messages: [{ role: 'user', content: 'Say this is a test' }],
      max_tokens: 32,
    });
    const sent = lastUpstream(h);
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer ollama');
    expect(sent.body).toEqual({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'Say this is a test' }],
      max_tokens: 32,
    });
    expect(result.choices[0]?.message.content).toMatch(/\w/);
  });
});
