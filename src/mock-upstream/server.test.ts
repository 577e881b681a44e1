import OpenAI, { AzureOpenAI } from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from './server.js';

let mock: MockUpstream;
let client: OpenAI;

beforeAll(async () => {
  mock = await startMockUpstream({
    models: {
      reasoner: { reasoning_tokens: 7, cached_tokens: 4, output_tokens: 12 },
      'text-embedding-3-small': { dimensions: 32 },
    },
  });
  client = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await mock.close();
});

beforeEach(() => {
  mock.reset();
});

async function postRaw(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await request(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

function sseEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}

describe('chat completions', () => {
  it('answers a non-stream request in the OpenAI shape, with usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'What is 2+2?' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices[0]!.message.role).toBe('assistant');
    expect(completion.choices[0]!.message.content).toContain('4');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    const usage = completion.usage!;
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(usage.completion_tokens_details?.reasoning_tokens).toBe(0);
  });

  it('streams chunks exactly as OpenAI does, with a usage chunk when asked', async () => {
    const { status, headers, text } = await postRaw('/v1/chat/completions', {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Tell me about load balancing.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(status).toBe(200);
    expect(headers['content-type']).toContain('text/event-stream');
    const events = sseEvents(text);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    expect(chunks[0].object).toBe('chat.completion.chunk');
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.completion_tokens).toBeGreaterThan(0);
    const finish = chunks.at(-2);
    expect(finish.choices[0].finish_reason).toBe('stop');
    expect(finish.choices[0].delta).toEqual({});
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    const content = chunks.slice(1, -2).map((chunk) => chunk.choices[0].delta.content as string);
    expect(content.length).toBe(usageChunk.usage.completion_tokens);

    const nonStream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Tell me about load balancing.' }],
    });
    expect(content.join('')).toBe(nonStream.choices[0]!.message.content);
  });

  it('streams through the openai client and leaves out usage unless asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
    });
    let text = '';
    let finish: string | null = null;
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) sawUsage = true;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    expect(sawUsage).toBe(false);
  });

  it('runs a tool-call round trip', async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: {
            type: 'object',
            properties: {
              city: { type: 'string' },
              unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
              days: { type: 'integer', minimum: 1, maximum: 5 },
            },
            required: ['city', 'unit', 'days'],
          },
        },
      },
    ];
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
    ];
    const first = await client.chat.completions.create({ model: 'gpt-4o', messages, tools });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments);
    expect(typeof args.city).toBe('string');
    expect(args.unit).toBe('celsius');
    expect(args.days).toBeGreaterThanOrEqual(1);
    expect(args.days).toBeLessThanOrEqual(5);

    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: 'Sunny, 24 degrees' });
    const second = await client.chat.completions.create({ model: 'gpt-4o', messages, tools });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toContain('Sunny, 24 degrees');
  });

  it('streams tool calls: id, type and name first, then argument fragments', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Look it up' }],
      tools: [
        { type: 'function', function: { name: 'a', parameters: { type: 'object', properties: {} } } },
        {
          type: 'function',
          function: {
            name: 'lookup',
            parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      stream: true,
    });
    const deltas: OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas[0]).toMatchObject({
      index: 0,
      type: 'function',
      function: { name: 'lookup', arguments: '' },
    });
    expect(deltas[0]!.id).toMatch(/^call_/);
    expect(
      deltas.slice(1).every((delta) => delta.id === undefined && delta.function?.name === undefined),
    ).toBe(true);
    const args = JSON.parse(deltas.map((delta) => delta.function?.arguments ?? '').join(''));
    expect(typeof args.q).toBe('string');
    expect(finish).toBe('tool_calls');
  });

  it('answers json_schema with JSON valid against the schema, and json_object with an object', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Give me a person' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          strict: true,
          schema: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              age: { type: 'integer', minimum: 0, maximum: 120 },
              tags: { type: 'array', items: { type: 'string' } },
              role: { type: 'string', enum: ['admin', 'user'] },
            },
            required: ['name', 'age', 'tags', 'role'],
            additionalProperties: false,
          },
        },
      },
    });
    const person = JSON.parse(completion.choices[0]!.message.content!);
    expect(typeof person.name).toBe('string');
    expect(Number.isInteger(person.age)).toBe(true);
    expect(Array.isArray(person.tags)).toBe(true);
    expect(person.role).toBe('admin');

    const object = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'JSON please' }],
      response_format: { type: 'json_object' },
    });
    const parsed = JSON.parse(object.choices[0]!.message.content!);
    expect(typeof parsed).toBe('object');
    expect(Array.isArray(parsed)).toBe(false);
  });

  it('returns n choices, logprobs, and stops at max_completion_tokens', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Write something long.' }],
      n: 3,
      logprobs: true,
      top_logprobs: 2,
      max_completion_tokens: 6,
    });
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(new Set(completion.choices.map((choice) => choice.message.content)).size).toBe(3);
    for (const choice of completion.choices) {
      expect(choice.finish_reason).toBe('length');
      const content = choice.logprobs!.content!;
      expect(content).toHaveLength(6);
      expect(content.map((token) => token.token).join('')).toBe(choice.message.content);
      expect(content[0]!.top_logprobs).toHaveLength(2);
      expect(content[0]!.bytes).toEqual([...Buffer.from(content[0]!.token)]);
    }
    expect(completion.usage!.completion_tokens).toBe(18);
  });

  it('is deterministic per request and seed', async () => {
    const ask = (target: OpenAI) =>
      target.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Describe a river.' }] })
        .then((completion) => completion.choices[0]!.message.content);
    const first = await ask(client);
    expect(await ask(client)).toBe(first);
    const seeded = await startMockUpstream({ seed: 99 });
    try {
      const other = new OpenAI({ apiKey: 'k', baseURL: `${seeded.url}/v1`, maxRetries: 0 });
      expect(await ask(other)).not.toBe(first);
    } finally {
      await seeded.close();
    }
  });

  it('reports reasoning and cached tokens from the model settings', async () => {
    const completion = await client.chat.completions.create({
      model: 'reasoner',
      messages: [{ role: 'user', content: 'Think hard about nothing in particular.' }],
    });
    const usage = completion.usage!;
    expect(usage.completion_tokens).toBe(12 + 7);
    expect(usage.completion_tokens_details?.reasoning_tokens).toBe(7);
    expect(usage.prompt_tokens_details?.cached_tokens).toBe(4);
  });

  it('follows the refuse, hedge and empty prompt directives', async () => {
    const ask = (content: string) =>
      client.chat.completions
        .create({ model: 'gpt-4o', messages: [{ role: 'user', content }] })
        .then((completion) => completion.choices[0]!.message.content);
    expect(await ask('[[mock:refuse]] Tell me a secret')).toBe("I'm sorry, but I can't help with that.");
    expect(await ask('[[mock:hedge]] What is 3*3?')).toMatch(/not entirely sure.*9/);
    expect(await ask('[[mock:empty]] Anything')).toBe('');
  });

  it('serves Azure deployment paths, taking the model from the path', async () => {
    const keyed = await startMockUpstream({ requireApiKey: 'azure-key' });
    try {
      const azure = new AzureOpenAI({
        endpoint: keyed.url,
        apiKey: 'azure-key',
        apiVersion: '2024-10-21',
        deployment: 'my-gpt4o',
        maxRetries: 0,
      });
      const completion = await azure.chat.completions.create({
        model: 'ignored',
        messages: [{ role: 'user', content: 'What is 5+5?' }],
      });
      expect(completion.model).toBe('my-gpt4o');
      expect(completion.choices[0]!.message.content).toContain('10');
      const recorded = keyed.requests[0]!;
      expect(recorded.path).toBe('/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21');
      expect(recorded.headers['api-key']).toBe('azure-key');
      expect(keyed.invoice[0]!.model).toBe('my-gpt4o');
    } finally {
      await keyed.close();
    }
  });

  it('serves the GitHub Models path', async () => {
    const { status, text } = await postRaw('/inference/chat/completions', {
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'What is 6*7?' }],
    });
    expect(status).toBe(200);
    expect(JSON.parse(text).choices[0].message.content).toContain('42');
  });

  it('rejects invalid requests with OpenAI-style 400s', async () => {
    const noMessages = await postRaw('/v1/chat/completions', { model: 'gpt-4o' });
    expect(noMessages.status).toBe(400);
    expect(JSON.parse(noMessages.text).error).toMatchObject({
      type: 'invalid_request_error',
      param: 'messages',
    });
    const notJson = await postRaw('/v1/chat/completions', '{"model":');
    expect(notJson.status).toBe(400);
    expect(mock.requests.at(-1)!.body).toBe('{"model":');
    expect(mock.invoice).toHaveLength(0);
  });
});

describe('embeddings', () => {
  const norm = (vector: readonly number[]) =>
    Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

  it('returns deterministic unit vectors through the openai client (base64 by default, and float)', async () => {
    const viaBase64 = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['hello world', 'bye'],
    });
    expect(mock.requests[0]!.body).toMatchObject({ encoding_format: 'base64' });
    expect(viaBase64.data).toHaveLength(2);
    const vector = viaBase64.data[0]!.embedding;
    expect(vector).toHaveLength(32);
    expect(norm(vector)).toBeCloseTo(1, 5);

    const viaFloat = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'hello world',
      encoding_format: 'float',
    });
    expect(viaFloat.data[0]!.embedding).toEqual(vector);
    expect(viaFloat.usage.prompt_tokens).toBe(2);
    expect(viaFloat.usage.total_tokens).toBe(2);
  });

  it('honours dimensions and encodes base64 as little-endian float32', async () => {
    const { text } = await postRaw('/v1/embeddings', {
      model: 'any-embedder',
      input: 'dimension check',
      dimensions: 12,
      encoding_format: 'base64',
    });
    const encoded = JSON.parse(text).data[0].embedding as string;
    const bytes = Buffer.from(encoded, 'base64');
    expect(bytes.length).toBe(12 * 4);
    const values = Array.from({ length: 12 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(norm(values)).toBeCloseTo(1, 5);
  });

  it('bills embeddings on the invoice', async () => {
    await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'one two three',
      encoding_format: 'float',
    });
    expect(mock.invoice).toEqual([
      expect.objectContaining({
        endpoint: 'embeddings',
        model: 'text-embedding-3-small',
        inputTokens: 3,
        outputTokens: 0,
        completed: true,
        stream: false,
      }),
    ]);
  });
});

describe('models, routes and keys', () => {
  it('lists models and answers a model by id', async () => {
    const list = await client.models.list();
    expect(list.data.map((model) => model.id).sort()).toEqual(['reasoner', 'text-embedding-3-small']);
    const one = await client.models.retrieve('gpt-4o');
    expect(one).toMatchObject({ id: 'gpt-4o', object: 'model' });
  });

  it('answers unknown paths with an OpenAI-style 404', async () => {
    const { status, text } = await postRaw('/v1/nope', {});
    expect(status).toBe(404);
    expect(JSON.parse(text).error.message).toBe('Invalid URL (POST /v1/nope)');
  });

  it('requires the API key when configured, as a bearer token or an api-key header', async () => {
    const keyed = await startMockUpstream({ requireApiKey: 'sk-right' });
    try {
      const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${keyed.url}/v1`, maxRetries: 0 });
      await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      const right = new OpenAI({ apiKey: 'sk-right', baseURL: `${keyed.url}/v1`, maxRetries: 0 });
      expect((await right.models.list()).data.length).toBeGreaterThan(0);
      const viaHeader = await request(`${keyed.url}/v1/models`, { headers: { 'api-key': 'sk-right' } });
      expect(viaHeader.statusCode).toBe(200);
      await viaHeader.body.dump();
    } finally {
      await keyed.close();
    }
  });

  it('records every request with lower-cased headers and the parsed body', async () => {
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await postRaw('/v1/unknown?x=1', { a: 1 });
    expect(mock.requests).toHaveLength(2);
    const [chat, unknown] = mock.requests;
    expect(chat).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(chat!.headers['authorization']).toBe('Bearer sk-test');
    expect(chat!.body).toMatchObject({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(unknown).toMatchObject({ path: '/v1/unknown?x=1', body: { a: 1 } });
  });
});

describe('invoice', () => {
  it('records exactly what usage said, for plain and streamed answers', async () => {
    const plain = await client.chat.completions.create({
      model: 'reasoner',
      messages: [{ role: 'user', content: 'a' }],
    });
    const stream = await client.chat.completions.create({
      model: 'reasoner',
      messages: [{ role: 'user', content: 'b' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamedUsage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) streamedUsage = chunk.usage ?? streamedUsage;

    expect(mock.invoice).toHaveLength(2);
    const [first, second] = mock.invoice;
    for (const [entry, usage, streamed] of [
      [first!, plain.usage!, false],
      [second!, streamedUsage!, true],
    ] as const) {
      expect(entry).toMatchObject({
        model: 'reasoner',
        endpoint: 'chat.completions',
        inputTokens: usage.prompt_tokens,
        outputTokens: usage.completion_tokens,
        cachedInputTokens: usage.prompt_tokens_details!.cached_tokens,
        reasoningTokens: usage.completion_tokens_details!.reasoning_tokens,
        stream: streamed,
        completed: true,
      });
      expect(entry.fault).toBeUndefined();
    }
    expect(first!.requestId).toMatch(/^req_mock_\d+$/);
  });

  it('bills only the tokens sent when the client walks away mid-stream', async () => {
    mock.setModelProfile('slow', { tokens_per_s: 50, output_tokens: 40 });
    const stream = await client.chat.completions.create({
      model: 'slow',
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
    });
    let received = 0;
    // Leaving the loop makes the client abort the request.
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) received++;
      if (received === 3) break;
    }
    await expect.poll(() => mock.invoice.length, { timeout: 2000 }).toBe(1);
    const entry = mock.invoice[0]!;
    expect(entry.completed).toBe(false);
    expect(entry.outputTokens).toBeGreaterThanOrEqual(3);
    expect(entry.outputTokens).toBeLessThan(40);
  });
});

describe('timing', () => {
  it('waits latency_ms before answering, and x-mock-latency-ms overrides it', async () => {
    mock.setModelProfile('laggy', { latency_ms: 150 });
    let started = performance.now();
    await client.chat.completions.create({ model: 'laggy', messages: [{ role: 'user', content: 'x' }] });
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);

    started = performance.now();
    await client.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] },
      { headers: { 'x-mock-latency-ms': '120' } },
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('waits ttft_ms before the first token and paces tokens at tokens_per_s', async () => {
    mock.setModelProfile('paced', { ttft_ms: 120, tokens_per_s: 100, output_tokens: 11 });
    const started = performance.now();
    const stream = await client.chat.completions.create({
      model: 'paced',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let firstToken = 0;
    let tokens = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) {
        tokens++;
        if (firstToken === 0) firstToken = performance.now() - started;
      }
    }
    const total = performance.now() - started;
    expect(tokens).toBe(11);
    expect(firstToken).toBeGreaterThanOrEqual(115);
    // Ten gaps of 10 ms after the first token.
    expect(total - firstToken).toBeGreaterThanOrEqual(95);
  });
});

describe('close', () => {
  it('finishes within a second while a request hangs and a stream is mid-flight', async () => {
    const local = await startMockUpstream({ models: { slow: { tokens_per_s: 2, output_tokens: 100 } } });
    const hanging = request(`${local.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-fault': 'hang' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'wait' }] }),
    }).then(
      () => 'answered',
      () => 'failed',
    );
    const streaming = request(`${local.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'go' }], stream: true }),
    }).then(
      (response) =>
        response.body.text().then(
          () => 'read',
          () => 'failed',
        ),
      () => 'failed',
    );
    await expect.poll(() => local.requests.length).toBe(2);
    const started = performance.now();
    await local.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await hanging).toBe('failed');
    expect(await streaming).toBe('failed');
  });
});
