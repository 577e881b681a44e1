import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from './server.js';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startMockUpstream({
    models: {
      'llama3.2': { output_tokens: 12 },
      'qwen3:8b': { output_tokens: 6, reasoning_tokens: 4 },
      'nomic-embed-text': { dimensions: 16 },
      'not-pulled': { faults: [{ kind: 'http_500', status: 404 }] },
    },
  });
});
afterAll(() => mock.close());
beforeEach(() => mock.reset());

type Json = Record<string, unknown>;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await request(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

/** NDJSON: one object per line, every line ended by LF. */
function lines(text: string): Json[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Json);
}

const hello = [{ role: 'user', content: 'Say hello.' }];

describe('the Ollama wire of the mock', () => {
  it('answers /api/chat in one object when stream is false, with counts Ollama-style', async () => {
    const { status, headers, text } = await post('/api/chat', {
      model: 'llama3.2',
      messages: hello,
      stream: false,
    });
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('application/json');
    const body = JSON.parse(text) as Json;
    const invoice = mock.invoice.at(-1)!;
    expect(body).toMatchObject({
      model: 'llama3.2',
      message: { role: 'assistant' },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: invoice.inputTokens,
      eval_count: 12,
    });
    expect(typeof (body.message as Json).content).toBe('string');
    expect(Number.isNaN(Date.parse(body.created_at as string))).toBe(false);
    expect(invoice).toMatchObject({ model: 'llama3.2', outputTokens: 12, completed: true, stream: false });
  });

  it('streams NDJSON unless told not to, ending with a done line that carries the counts', async () => {
    const { headers, text } = await post('/api/chat', { model: 'llama3.2', messages: hello });
    expect(headers['content-type']).toBe('application/x-ndjson');
    const objects = lines(text);
    const last = objects.at(-1)!;
    expect(objects.slice(0, -1).every((o) => o.done === false)).toBe(true);
    expect(last).toMatchObject({ done: true, done_reason: 'stop', eval_count: 12 });
    expect(last.prompt_eval_count).toBe(mock.invoice.at(-1)!.inputTokens);
    const streamed = objects.map((o) => (o.message as Json).content).join('');
    const whole = await post('/api/chat', { model: 'llama3.2', messages: hello, stream: false });
    expect(streamed).toBe(((JSON.parse(whole.text) as Json).message as Json).content);
  });

  it('calls a tool whole, with an object of arguments and no id, and ends with stop', async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const whole = JSON.parse(
      (await post('/api/chat', { model: 'llama3.2', messages: hello, tools, stream: false })).text,
    ) as Json;
    const message = whole.message as Json;
    expect(message.content).toBe('');
    expect(whole.done_reason).toBe('stop');
    const [call] = message.tool_calls as Json[];
    expect(Object.keys(call!)).toEqual(['function']);
    expect(call!.function).toMatchObject({ name: 'get_weather', arguments: { city: expect.any(String) } });

    const streamed = lines((await post('/api/chat', { model: 'llama3.2', messages: hello, tools })).text);
    const withCalls = streamed.filter((o) => (o.message as Json).tool_calls !== undefined);
    expect(withCalls).toHaveLength(1);
    expect((withCalls[0]!.message as Json).tool_calls).toEqual(message.tool_calls);
  });

  it('answers after a tool result named by tool_name', async () => {
    const { text } = await post('/api/chat', {
      model: 'llama3.2',
      stream: false,
      messages: [
        ...hello,
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'f', arguments: { a: 1 } } }] },
        { role: 'tool', content: '11 degrees', tool_name: 'f' },
      ],
    });
    expect(((JSON.parse(text) as Json).message as Json).content).toContain('11 degrees');
  });

  it('follows format: a JSON schema, or "json"', async () => {
    const schema = {
      type: 'object',
      properties: { age: { type: 'integer' }, available: { type: 'boolean' } },
      required: ['age', 'available'],
    };
    const structured = JSON.parse(
      (await post('/api/chat', { model: 'llama3.2', messages: hello, format: schema, stream: false })).text,
    ) as Json;
    const value = JSON.parse((structured.message as Json).content as string) as Json;
    expect(typeof value.age).toBe('number');
    expect(typeof value.available).toBe('boolean');
    const json = JSON.parse(
      (await post('/api/chat', { model: 'llama3.2', messages: hello, format: 'json', stream: false })).text,
    ) as Json;
    expect(() => JSON.parse((json.message as Json).content as string)).not.toThrow();
  });

  it('caps the answer at options.num_predict with done_reason length', async () => {
    const body = JSON.parse(
      (
        await post('/api/chat', {
          model: 'llama3.2',
          messages: hello,
          stream: false,
          options: { num_predict: 3, temperature: 0 },
        })
      ).text,
    ) as Json;
    expect(body).toMatchObject({ done_reason: 'length', eval_count: 3 });
  });

  it('thinks when asked: a thinking trace, counted inside eval_count', async () => {
    const thinking = JSON.parse(
      (await post('/api/chat', { model: 'qwen3:8b', messages: hello, think: true, stream: false })).text,
    ) as Json;
    expect((thinking.message as Json).thinking).toBe('Let me think this');
    expect(thinking.eval_count).toBe(10);
    const objects = lines(
      (await post('/api/chat', { model: 'qwen3:8b', messages: hello, think: 'low' })).text,
    );
    expect(objects.slice(0, 4).map((o) => (o.message as Json).thinking)).toEqual([
      'Let',
      ' me',
      ' think',
      ' this',
    ]);
    expect(mock.invoice.at(-1)).toMatchObject({ outputTokens: 10, reasoningTokens: 4 });
    const plain = JSON.parse(
      (await post('/api/chat', { model: 'qwen3:8b', messages: hello, stream: false })).text,
    ) as Json;
    expect(plain.message).not.toHaveProperty('thinking');
  });

  it('rejects what Ollama cannot bind, with {"error": "…"}', async () => {
    const cases: unknown[] = [
      { messages: hello },
      { model: 'llama3.2', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] },
      {
        model: 'llama3.2',
        messages: [
          { role: 'assistant', content: '', tool_calls: [{ function: { name: 'f', arguments: '{"a":1}' } }] },
        ],
      },
      {
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'x', images: ['data:image/png;base64,AAAA'] }],
      },
      { model: 'llama3.2', messages: hello, think: 'extreme' },
      { model: 'llama3.2', messages: hello, format: 'yaml' },
    ];
    for (const body of cases) {
      const { status, text } = await post('/api/chat', body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(JSON.parse(text) as Json)).toEqual(['error']);
    }
  });

  it('answers faults in Ollama form: HTTP errors, a cut without the done line, an error line', async () => {
    const missing = await post('/api/chat', { model: 'not-pulled', messages: hello });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ error: expect.any(String) });

    const cut = lines(
      (await post('/api/chat', { model: 'llama3.2', messages: hello }, { 'x-mock-fault': 'sse_cut:4' })).text,
    );
    expect(cut).toHaveLength(4);
    expect(cut.every((o) => o.done === false)).toBe(true);
    expect(mock.invoice.at(-1)).toMatchObject({ outputTokens: 4, completed: false, fault: 'sse_cut' });

    const inband = lines(
      (await post('/api/chat', { model: 'llama3.2', messages: hello }, { 'x-mock-fault': 'inband_error:2' }))
        .text,
    );
    expect(inband.at(-1)).toEqual({ error: 'The model produced an error mid-stream.' });

    const noFinish = lines(
      (await post('/api/chat', { model: 'llama3.2', messages: hello }, { 'x-mock-fault': 'no_finish' })).text,
    );
    expect(noFinish.at(-1)).toMatchObject({ done: true });
    expect(noFinish.at(-1)).not.toHaveProperty('done_reason');

    const noUsage = JSON.parse(
      (
        await post(
          '/api/chat',
          { model: 'llama3.2', messages: hello, stream: false },
          { 'x-mock-fault': 'missing_usage' },
        )
      ).text,
    ) as Json;
    expect(noUsage).not.toHaveProperty('prompt_eval_count');
    expect(noUsage).not.toHaveProperty('eval_count');

    const malformed = await post(
      '/api/chat',
      { model: 'llama3.2', messages: hello },
      { 'x-mock-fault': 'malformed_json:1' },
    );
    const last = malformed.text.slice(0, -1).split('\n').at(-1)!;
    expect(() => JSON.parse(last)).toThrow();
  });

  it('embeds with /api/embed, one vector per input, counting the prompt', async () => {
    const { status, text } = await post('/api/embed', {
      model: 'nomic-embed-text',
      input: ['Why is the sky blue?', 'Why is the grass green?'],
    });
    expect(status).toBe(200);
    const body = JSON.parse(text) as Json;
    const embeddings = body.embeddings as number[][];
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]).toHaveLength(16);
    expect(body.prompt_eval_count).toBe(mock.invoice.at(-1)!.inputTokens);
    expect(mock.invoice.at(-1)).toMatchObject({ endpoint: 'embeddings', model: 'nomic-embed-text' });
    const single = JSON.parse(
      (await post('/api/embed', { model: 'nomic-embed-text', input: 'x', dimensions: 4 })).text,
    ) as Json;
    expect((single.embeddings as number[][])[0]).toHaveLength(4);
    expect((await post('/api/embed', { model: 'nomic-embed-text', input: [1, 2] })).status).toBe(400);
  });

  it('lists local models with /api/tags, tagged', async () => {
    const response = await request(`${mock.url}/api/tags`);
    const body = (await response.body.json()) as { models: Json[] };
    expect(body.models.map((m) => m.name)).toEqual([
      'llama3.2:latest',
      'qwen3:8b',
      'nomic-embed-text:latest',
      'not-pulled:latest',
    ]);
    expect(body.models[0]).toMatchObject({
      model: 'llama3.2:latest',
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      details: { format: 'gguf', family: 'llama' },
    });
  });

  it('checks a Bearer key when one is required', async () => {
    const secured = await startMockUpstream({ requireApiKey: 'ollama-cloud-key' });
    try {
      const body = { model: 'llama3.2', messages: hello, stream: false };
      const denied = await request(`${secured.url}/api/chat`, { method: 'POST', body: JSON.stringify(body) });
      expect(denied.statusCode).toBe(401);
      expect(await denied.body.json()).toEqual({ error: expect.any(String) });
      const allowed = await request(`${secured.url}/api/chat`, {
        method: 'POST',
        headers: { authorization: 'Bearer ollama-cloud-key' },
        body: JSON.stringify(body),
      });
      expect(allowed.statusCode).toBe(200);
      await allowed.body.text();
    } finally {
      await secured.close();
    }
  });
});
