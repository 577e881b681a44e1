/**
 * Google's Gemini API end to end: the official `openai` client talks to the gateway, which talks
 * to the mock upstream's Gemini wire (`/v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:embedContent`, `:batchEmbedContents`) over real HTTP.
 * Asserts what Google documents on the wire (URL, `x-goog-api-key`, body), what the client gets
 * back, and that the ledger's tokens and cost — cached and thinking tokens included — match the
 * mock's invoice priced independently, down to a worked example from Gemini's price sheet.
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

const KEY = 'AIzaSyTEST-gemini-provider-key-0123';
/** Gemini 2.5 Flash, Standard tier, text, per million tokens (ai.google.dev/gemini-api/docs/pricing). */
const FLASH = { input: 0.3, cached: 0.03, output: 2.5 };
const EMBED = { input: 0.15 };

beforeAll(async () => {
  h = await startHarness({
    mock: {
      // Every request must carry the key the way Gemini takes it, in `x-goog-api-key`.
      requireApiKey: KEY,
      models: {
        'gemini-2.5-flash': { cached_tokens: 5, reasoning_tokens: 7 },
        'gemini-2.5-flash-preview-09-2025': {
          cached_tokens: 8000,
          reasoning_tokens: 1500,
          output_tokens: 500,
        },
        'gemini-3-flash-preview': { output_tokens: 12 },
        'gemini-embedding-001': { dimensions: 48 },
        'gemini-limited': { faults: [{ kind: 'http_429', retry_after_s: 0 }] },
      },
    },
    config: (url) => ({
      providers: {
        google: { type: 'gemini', base_url: url, api_key: KEY },
        'google-bad-key': { type: 'gemini', base_url: url, api_key: 'AIzaSyWRONG-key-000000000000' },
      },
      models: {
        'gemini-flash': {
          pricing: {
            input_per_mtok: FLASH.input,
            cached_input_per_mtok: FLASH.cached,
            output_per_mtok: FLASH.output,
          },
          deployments: [{ provider: 'google', model: 'gemini-2.5-flash' }],
        },
        'gemini-flash-sheet': {
          pricing: {
            input_per_mtok: FLASH.input,
            cached_input_per_mtok: FLASH.cached,
            output_per_mtok: FLASH.output,
          },
          deployments: [{ provider: 'google', model: 'models/gemini-2.5-flash-preview-09-2025' }],
        },
        'gemini-3': { deployments: [{ provider: 'google', model: 'gemini-3-flash-preview' }] },
        'gemini-embed': {
          capabilities: ['embeddings'],
          pricing: { input_per_mtok: EMBED.input, output_per_mtok: 0 },
          deployments: [{ provider: 'google', model: 'gemini-embedding-001' }],
        },
        'gemini-limited': { deployments: [{ provider: 'google', model: 'gemini-limited' }] },
        'gemini-bad-key': { deployments: [{ provider: 'google-bad-key', model: 'gemini-2.5-flash' }] },
      },
    }),
  });
  client = createGatewayClient(h);
});
afterAll(() => h.close());

/**
 * The price sheet applied by hand, in nano-dollars: uncached input, cached input and output
 * (thinking included) at their own rates. Written out independently of the gateway's code.
 */
function nanos(input: number, cached: number, output: number): number {
  return Math.round(
    (input - cached) * FLASH.input * 1000 + cached * FLASH.cached * 1000 + output * FLASH.output * 1000,
  );
}

const weatherTool: OpenAI.ChatCompletionTool = {
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
};

describe('Gemini API through the gateway', () => {
  it('non-stream: generateContent with the key in x-goog-api-key; usage and cost with cached and thinking tokens', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'gemini-flash',
        messages: [
          { role: 'system', content: 'Answer briefly.' },
          { role: 'user', content: 'What is 2+2?' },
        ],
        max_tokens: 64,
        temperature: 0.2,
        top_p: 0.9,
        seed: 7,
        stop: ['\n\n'],
      })
      .withResponse();
    const sent = lastUpstream(h);
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe(KEY);
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.path).not.toContain(KEY);
    expect(sent.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'What is 2+2?' }] }],
      systemInstruction: { parts: [{ text: 'Answer briefly.' }] },
      generationConfig: {
        maxOutputTokens: 64,
        temperature: 0.2,
        topP: 0.9,
        stopSequences: ['\n\n'],
        seed: 7,
      },
    });

    expect(data.choices[0]?.message.content).toContain('4');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    const invoice = h.mock.invoice.at(-1)!;
    expect(invoice).toMatchObject({
      model: 'gemini-2.5-flash',
      cachedInputTokens: 5,
      reasoningTokens: 7,
      completed: true,
    });
    expect(data.usage).toMatchObject({
      prompt_tokens: invoice.inputTokens,
      completion_tokens: invoice.outputTokens,
      prompt_tokens_details: { cached_tokens: 5 },
      completion_tokens_details: { reasoning_tokens: 7 },
    });
    const record = await ledgerRecord(h, response);
    expect(record).toMatchObject({
      status: 'ok',
      provider: 'google',
      inputTokens: invoice.inputTokens,
      cachedInputTokens: 5,
      outputTokens: invoice.outputTokens,
      reasoningTokens: 7,
      usageEstimated: false,
    });
    expect(record.costNanos).toBe(nanos(invoice.inputTokens, 5, invoice.outputTokens));
  });

  it("prices Gemini 2.5 Flash's sheet exactly: 10,000 prompt tokens of which 8,000 cached, 500 answer + 1,500 thinking", async () => {
    // The mock counts this prompt as exactly 10,000 tokens: 9,994 words, 3 framing tokens for the
    // message and 3 that prime the reply.
    const prompt = `alpha${' alpha'.repeat(9993)}`;
    const { data, response } = await client.chat.completions
      .create({ model: 'gemini-flash-sheet', messages: [{ role: 'user', content: prompt }] })
      .withResponse();
    // The configured resource name `models/…` is not doubled in the URL.
    expect(lastUpstream(h).path).toBe('/v1beta/models/gemini-2.5-flash-preview-09-2025:generateContent');
    expect(h.mock.invoice.at(-1)).toMatchObject({
      inputTokens: 10_000,
      cachedInputTokens: 8_000,
      outputTokens: 2_000,
      reasoningTokens: 1_500,
    });
    expect(data.usage).toMatchObject({
      prompt_tokens: 10_000,
      completion_tokens: 2_000,
      prompt_tokens_details: { cached_tokens: 8_000 },
      completion_tokens_details: { reasoning_tokens: 1_500 },
    });
    // (10,000 − 8,000) × $0.30 + 8,000 × $0.03 + (500 + 1,500) × $2.50, per million tokens
    //   = $0.000600 + $0.000240 + $0.005000 = $0.005840.
    const sheet = 5_840_000;
    expect(nanos(10_000, 8_000, 2_000)).toBe(sheet);
    const record = await ledgerRecord(h, response);
    expect(record).toMatchObject({
      inputTokens: 10_000,
      cachedInputTokens: 8_000,
      outputTokens: 2_000,
      reasoningTokens: 1_500,
    });
    expect(record.costNanos).toBe(sheet);
    expect(Number(response.headers.get('x-switchyard-cost-usd'))).toBeCloseTo(0.00584, 12);
  });

  it('stream: streamGenerateContent?alt=sse, deltas and a final usage equal to the invoice', async () => {
    const stream = await client.chat.completions.create({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'Tell me about switchyards in a few words.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, deltas, finish, usage } = await readChatStream(stream);
    const sent = lastUpstream(h);
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(sent.headers.accept).toBe('text/event-stream');
    expect(sent.headers['x-goog-api-key']).toBe(KEY);
    expect(sent.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Tell me about switchyards in a few words.' }] }],
    });
    expect(deltas).toBeGreaterThan(3);
    expect(text.length).toBeGreaterThan(10);
    expect(finish).toBe('stop');
    const invoice = h.mock.invoice.at(-1)!;
    expect(invoice).toMatchObject({ stream: true, completed: true });
    expect(usage).toMatchObject({
      prompt_tokens: invoice.inputTokens,
      completion_tokens: invoice.outputTokens,
      prompt_tokens_details: { cached_tokens: 5 },
      completion_tokens_details: { reasoning_tokens: 7 },
    });
  });

  it('tool round trip: functionDeclarations out, a signed functionCall back, a named functionResponse after', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const first = await client.chat.completions.create({
      model: 'gemini-flash',
      messages,
      tools: [weatherTool],
      tool_choice: 'auto',
    });
    const sentFirst = lastUpstream(h).body;
    expect(sentFirst.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather for a city',
            parametersJsonSchema: weatherTool.function.parameters,
          },
        ],
      },
    ]);
    expect(sentFirst.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });

    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    const call = first.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: expect.any(String), unit: 'c' });
    // Gemini gave no id: a stable one, carrying the call's thought signature for the next turn.
    const [callId, signature] = call.id.split('__thought__');
    expect(callId).toMatch(/^call_mock-\d+_0$/);
    expect(Buffer.from(signature ?? '', 'base64').toString()).toMatch(/^mock-thought-signature:/);

    const second = await client.chat.completions.create({
      model: 'gemini-flash',
      messages: [
        ...messages,
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"temp": 3, "unit": "c"}' },
      ],
      tools: [weatherTool],
    });
    expect(lastUpstream(h).body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Oslo?' }] },
      {
        role: 'model',
        parts: [
          {
            functionCall: { name: 'get_weather', args: JSON.parse(call.function.arguments) },
            thoughtSignature: signature,
          },
        ],
      },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'get_weather', response: { temp: 3, unit: 'c' } } }],
      },
    ]);
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toContain('temp');
  });

  it('streams a forced tool call whole, as one delta', async () => {
    const stream = await client.chat.completions.create({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'Weather in Bergen?' }],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      stream: true,
    });
    const { toolCalls, finish } = await readChatStream(stream);
    const name = toolCalls.map((call) => call.function?.name ?? '').join('');
    const args = toolCalls.map((call) => call.function?.arguments ?? '').join('');
    expect(lastUpstream(h).body.toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
    });
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toMatchObject({ unit: 'c' });
    expect(finish).toBe('tool_calls');
  });

  it("Gemini 3 accepts another model's tool call history thanks to the documented placeholder signature", async () => {
    const result = await client.chat.completions.create({
      model: 'gemini-3',
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_from_gpt',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Oslo","unit":"c"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_from_gpt', content: 'sunny' },
      ],
      tools: [weatherTool],
    });
    const contents = lastUpstream(h).body.contents as { parts: Record<string, unknown>[] }[];
    expect(contents[1]?.parts[0]).toMatchObject({ thoughtSignature: 'skip_thought_signature_validator' });
    expect(contents[2]?.parts[0]).toEqual({
      functionResponse: { name: 'get_weather', response: { output: 'sunny' } },
    });
    expect(result.choices[0]?.message.content).toContain('sunny');
  });

  it('json_schema and json_object become responseMimeType with responseJsonSchema', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      required: ['name', 'age'],
      additionalProperties: false,
    };
    const structured = await client.chat.completions.create({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'Ada, 36' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    });
    expect(lastUpstream(h).body.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: schema,
    });
    const person = JSON.parse(structured.choices[0]!.message.content!) as { name: unknown; age: unknown };
    expect(typeof person.name).toBe('string');
    expect(Number.isInteger(person.age)).toBe(true);

    const json = await client.chat.completions.create({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'Answer in JSON.' }],
      response_format: { type: 'json_object' },
    });
    expect(lastUpstream(h).body.generationConfig).toEqual({ responseMimeType: 'application/json' });
    expect(() => JSON.parse(json.choices[0]!.message.content!)).not.toThrow();
  });

  it('reasoning effort becomes a thinking budget; thinking tokens are output, reported and billed', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'gemini-flash',
        messages: [{ role: 'user', content: 'What is 17 times 23?' }],
        reasoning_effort: 'low',
        n: 2,
      })
      .withResponse();
    expect(lastUpstream(h).body.generationConfig).toEqual({
      candidateCount: 2,
      thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
    });
    expect(data.choices).toHaveLength(2);
    expect(data.choices[0]?.message.content).toContain('391');
    const invoice = h.mock.invoice.at(-1)!;
    expect(data.usage?.completion_tokens_details?.reasoning_tokens).toBe(7);
    const record = await ledgerRecord(h, response);
    expect(record).toMatchObject({ outputTokens: invoice.outputTokens, reasoningTokens: 7 });
    expect(record.costNanos).toBe(nanos(invoice.inputTokens, 5, invoice.outputTokens));
  });

  it('a SAFETY-blocked answer finishes with content_filter, streamed or not, and is billed as reported', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'gemini-flash',
        messages: [{ role: 'user', content: 'Something risky [[mock:safety]]' }],
      })
      .withResponse();
    expect(data.choices[0]?.finish_reason).toBe('content_filter');
    expect(data.choices[0]?.message.content ?? '').toBe('');
    const invoice = h.mock.invoice.at(-1)!;
    const record = await ledgerRecord(h, response);
    expect(record).toMatchObject({
      status: 'ok',
      inputTokens: invoice.inputTokens,
      outputTokens: invoice.outputTokens,
    });

    const stream = await streamUserMessage(client, 'gemini-flash', 'Something risky [[mock:safety]]');
    const { text, finish } = await readChatStream(stream);
    expect(finish).toBe('content_filter');
    expect(text).toBe('');
  });

  it('a stream cut before any finishReason ends in an error for the client, never a normal stop', async () => {
    const stream = await streamUserMessage(
      client,
      'gemini-flash',
      'Tell me a story [[mock:fault=sse_cut:5]]',
    );
    const read = emptyChatStream();
    await expect(readChatStream(stream, read)).rejects.toThrow(/stream ended before the message did/);
    expect(read.finish).toBeNull();
    expect(read.text.length).toBeGreaterThan(0);
    expect(h.mock.invoice.at(-1)).toMatchObject({ outputTokens: 5 + 7, completed: false, fault: 'sse_cut' });
  });

  it('an error object mid-stream reaches the client as an error', async () => {
    const stream = await streamUserMessage(client, 'gemini-flash', 'Go on [[mock:fault=inband_error:3]]');
    await expect(readChatStream(stream)).rejects.toThrow(/error mid-stream/);
  });

  it('INVALID_ARGUMENT is a non-retryable 400 with Google’s message kept', async () => {
    const before = h.mock.requests.length;
    const error = await failureOf(
      client.chat.completions.create({
        model: 'gemini-flash',
        messages: [{ role: 'user', content: 'Bad request [[mock:fault=http_500:400]]' }],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({
      code: 'MODEL_ERROR',
      details: { upstream_code: 'INVALID_ARGUMENT' },
    });
    // Not retried: the same request would fail the same way.
    expect(h.mock.requests.length - before).toBe(1);
  });

  it('RESOURCE_EXHAUSTED is RATE_LIMIT_EXCEEDED; an invalid key (Google answers 400) is a retryable MODEL_ERROR', async () => {
    const limited = await failureOf(
      client.chat.completions.create({
        model: 'gemini-limited',
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    );
    const limitedAttempts = attemptCodes(limited);
    expect(limitedAttempts.length).toBeGreaterThan(0);
    for (const attempt of limitedAttempts)
      expect(attempt).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', status: 429 });

    const badKey = await failureOf(
      client.chat.completions.create({
        model: 'gemini-bad-key',
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    );
    expect(lastUpstream(h).headers['x-goog-api-key']).toBe('AIzaSyWRONG-key-000000000000');
    const keyAttempts = attemptCodes(badKey);
    expect(keyAttempts.length).toBeGreaterThan(0);
    for (const attempt of keyAttempts) expect(attempt).toMatchObject({ code: 'MODEL_ERROR', status: 502 });
    expect(JSON.stringify(badKey.error)).not.toContain('AIzaSyWRONG');
  });

  it('embeddings: batchEmbedContents for several inputs, embedContent for one; usage left to estimate', async () => {
    const { data, response } = await client.embeddings
      .create({ model: 'gemini-embed', input: ['hello', 'world'], dimensions: 32 })
      .withResponse();
    const sent = lastUpstream(h);
    expect(sent.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(sent.headers['x-goog-api-key']).toBe(KEY);
    expect(sent.body).toEqual({
      requests: [
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'hello' }] },
          outputDimensionality: 32,
        },
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'world' }] },
          outputDimensionality: 32,
        },
      ],
    });
    expect(data.data).toHaveLength(2);
    expect(data.data[0]?.embedding).toHaveLength(32);
    expect(data.data[0]?.embedding).not.toEqual(data.data[1]?.embedding);
    expect(Math.hypot(...(data.data[0]?.embedding ?? []))).toBeCloseTo(1, 3);
    const record = await ledgerRecord(h, response);
    expect(record).toMatchObject({ status: 'ok', usageEstimated: true });

    const single = await client.embeddings.create({ model: 'gemini-embed', input: 'hello' });
    expect(lastUpstream(h).path).toBe('/v1beta/models/gemini-embedding-001:embedContent');
    expect(lastUpstream(h).body).toEqual({
      model: 'models/gemini-embedding-001',
      content: { parts: [{ text: 'hello' }] },
    });
    expect(single.data[0]?.embedding).toHaveLength(48);
    // The same text at the same size gives the same vector through either call.
    const again = await client.embeddings.create({ model: 'gemini-embed', input: 'hello', dimensions: 32 });
    expect(again.data[0]?.embedding).toEqual(data.data[0]?.embedding);
  });
});
