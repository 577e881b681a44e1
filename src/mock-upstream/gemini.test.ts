import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockUpstream, startMockUpstream } from './server.js';
import { countTokens } from './tokens.js';

const KEY = 'AIzaSyMOCK-key-0123456789';
let mock: MockUpstream;

beforeAll(async () => {
  mock = await startMockUpstream({
    requireApiKey: KEY,
    models: {
      'gemini-2.5-flash': { reasoning_tokens: 7, cached_tokens: 4, output_tokens: 12 },
      'gemini-embedding-001': { dimensions: 16 },
    },
  });
});
afterAll(() => mock.close());
beforeEach(() => mock.reset());

type Json = Record<string, unknown>;

async function call(
  path: string,
  body?: unknown,
  headers: Record<string, string> = { 'x-goog-api-key': KEY },
) {
  const response = await request(`${mock.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text };
}

async function generate(body: unknown, model = 'gemini-2.5-flash') {
  const response = await call(`/v1beta/models/${model}:generateContent`, body);
  return { ...response, json: JSON.parse(response.text) as Json };
}

/** Events of an SSE body framed with CRLF, as Gemini frames them. */
function events(text: string): Json[] {
  return text
    .split('\r\n\r\n')
    .filter((event) => event !== '')
    .map((event) => {
      expect(event.startsWith('data: ')).toBe(true);
      return JSON.parse(event.slice('data: '.length)) as Json;
    });
}

const hello = { contents: [{ role: 'user', parts: [{ text: 'What is 2+2?' }] }] };
const weather = {
  functionDeclarations: [
    {
      name: 'get_weather',
      parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ],
};

describe('Gemini wire of the mock upstream', () => {
  it('answers generateContent with candidates, usage metadata (cached, thoughts) and billing to match', async () => {
    const { status, json } = await generate(hello);
    expect(status).toBe(200);
    const invoice = mock.invoice.at(-1)!;
    expect(json).toEqual({
      candidates: [
        {
          content: { parts: [{ text: expect.stringContaining('4') }], role: 'model' },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: invoice.inputTokens,
        candidatesTokenCount: invoice.outputTokens - 7,
        totalTokenCount: invoice.inputTokens + invoice.outputTokens,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: invoice.inputTokens }],
        cachedContentTokenCount: 4,
        cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 4 }],
        thoughtsTokenCount: 7,
      },
      modelVersion: 'gemini-2.5-flash',
      responseId: expect.stringMatching(/^mock-\d+$/),
    });
    expect(invoice).toMatchObject({ cachedInputTokens: 4, reasoningTokens: 7, completed: true });
  });

  it('streams whole chunks with running usage, the last carrying the finish and final counts, no [DONE]', async () => {
    const response = await call('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', {
      contents: [{ role: 'user', parts: [{ text: 'Tell me something.' }] }],
      generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } },
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    expect(response.text).not.toContain('[DONE]');
    const chunks = events(response.text);
    const invoice = mock.invoice.at(-1)!;
    // A thought summary first, then 12 one-token chunks, then the finish.
    expect(chunks).toHaveLength(14);
    expect((chunks[0]!.candidates as Json[])[0]).toMatchObject({ content: { parts: [{ thought: true }] } });
    const running = chunks.slice(1, -1).map((chunk) => (chunk.usageMetadata as Json).candidatesTokenCount);
    expect(running).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const last = chunks.at(-1)!;
    expect((last.candidates as Json[])[0]).toMatchObject({ finishReason: 'STOP', index: 0 });
    expect(last.usageMetadata).toMatchObject({
      promptTokenCount: invoice.inputTokens,
      candidatesTokenCount: 12,
      thoughtsTokenCount: 7,
      cachedContentTokenCount: 4,
    });
    for (const chunk of chunks.slice(0, -1))
      expect((chunk.candidates as Json[])[0]!.finishReason).toBeUndefined();
    expect(invoice).toMatchObject({ stream: true, outputTokens: 19, completed: true });
  });

  it('calls functions whole, signed, with STOP; reads OpenAPI-style parameters too', async () => {
    const { json } = await generate({
      contents: [{ role: 'user', parts: [{ text: 'Weather in Oslo?' }] }],
      tools: [weather],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
    });
    const candidate = (json.candidates as Json[])[0]!;
    expect(candidate.finishReason).toBe('STOP');
    const part = (candidate.content as { parts: Json[] }).parts[0]!;
    expect(part.functionCall).toEqual({ name: 'get_weather', args: { city: expect.any(String) } });
    expect(Buffer.from(part.thoughtSignature as string, 'base64').toString()).toMatch(
      /^mock-thought-signature:call_/,
    );

    const legacy = await generate({
      contents: [{ role: 'user', parts: [{ text: 'Count.' }] }],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'count',
              parameters: { type: 'OBJECT', properties: { n: { type: 'INTEGER' } }, required: ['n'] },
            },
          ],
        },
      ],
    });
    const args = ((legacy.json.candidates as Json[])[0]!.content as { parts: Json[] }).parts[0]!
      .functionCall as Json;
    expect(Number.isInteger((args.args as Json).n)).toBe(true);
  });

  it('answers the function response by name', async () => {
    const { status, json } = await generate({
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Oslo?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 3 } } }] },
      ],
      tools: [weather],
    });
    expect(status).toBe(200);
    const text = ((json.candidates as Json[])[0]!.content as { parts: { text: string }[] }).parts[0]!.text;
    expect(text).toContain('"temp":3');
  });

  it.each([
    ['an unknown top-level field', { ...hello, model: 'x' }, 'Unknown name "model"'],
    [
      'an unknown generation field',
      { ...hello, generationConfig: { max_tokens: 3 } },
      'Unknown name "max_tokens"',
    ],
    ['no contents', { contents: [] }, 'contents is not specified'],
    ['empty parts', { contents: [{ role: 'user', parts: [] }] }, 'must not be empty'],
    ['a bad role', { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, 'valid role'],
    [
      'a nameless function response',
      { contents: [{ role: 'user', parts: [{ functionResponse: { response: { a: 1 } } }] }] },
      'Name cannot be empty',
    ],
    [
      'a function response that is not an object',
      { contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: 'text' } }] }] },
      'protobuf.Struct',
    ],
    [
      'a schema without the JSON mime type',
      { ...hello, generationConfig: { responseJsonSchema: { type: 'object' } } },
      'response_mime_type',
    ],
    ['too many candidates', { ...hello, generationConfig: { candidateCount: 9 } }, 'candidate_count'],
  ])('rejects %s with INVALID_ARGUMENT', async (_name, body, message) => {
    const { status, json } = await generate(body);
    expect(status).toBe(400);
    expect(json).toMatchObject({
      error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining(message) },
    });
    expect(mock.invoice).toHaveLength(0);
  });

  it('refuses, like Gemini 3, an unsigned function call of the current turn, and accepts a signed one', async () => {
    const conversation = (signature?: string) => ({
      contents: [
        { role: 'user', parts: [{ text: 'Weather?' }] },
        {
          role: 'model',
          parts: [
            {
              functionCall: { name: 'get_weather', args: {} },
              ...(signature ? { thoughtSignature: signature } : {}),
            },
          ],
        },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { output: 'sunny' } } }],
        },
      ],
      tools: [weather],
    });
    const refused = await generate(conversation(), 'gemini-3-pro-preview');
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: { message: expect.stringContaining('thought_signature') } });
    expect((await generate(conversation('c2ln'), 'gemini-3-pro-preview')).status).toBe(200);
    // Older models do not check.
    expect((await generate(conversation())).status).toBe(200);
  });

  it('withholds a [[mock:safety]] answer with finishReason SAFETY, streamed or not', async () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'Risky [[mock:safety]]' }] }] };
    const { json } = await generate(body);
    const candidate = (json.candidates as Json[])[0]!;
    expect(candidate.content).toBeUndefined();
    expect(candidate).toMatchObject({
      finishReason: 'SAFETY',
      safetyRatings: expect.arrayContaining([expect.objectContaining({ blocked: true })]),
    });
    const invoice = mock.invoice.at(-1)!;
    expect((json.usageMetadata as Json).candidatesTokenCount).toBe(
      invoice.outputTokens - invoice.reasoningTokens,
    );

    const stream = await call('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', body);
    const chunks = events(stream.text);
    expect(chunks).toHaveLength(1);
    expect((chunks[0]!.candidates as Json[])[0]).toMatchObject({ finishReason: 'SAFETY' });
    expect(mock.invoice.at(-1)!.outputTokens).toBe(invoice.outputTokens);
  });

  it('speaks Google errors: RetryInfo on 429, API_KEY_INVALID (400) for a wrong key, never the Bearer form', async () => {
    const limited = await call('/v1beta/models/gemini-2.5-flash:generateContent', hello, {
      'x-goog-api-key': KEY,
      'x-mock-fault': 'http_429',
    });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.text)).toMatchObject({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        details: expect.arrayContaining([
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' },
        ]),
      },
    });

    const attempts: Record<string, string>[] = [
      { 'x-goog-api-key': 'wrong' },
      { authorization: `Bearer ${KEY}` },
    ];
    for (const headers of attempts) {
      const denied = await call('/v1beta/models/gemini-2.5-flash:generateContent', hello, headers);
      expect(denied.status).toBe(400);
      expect(JSON.parse(denied.text)).toMatchObject({
        error: {
          status: 'INVALID_ARGUMENT',
          details: [expect.objectContaining({ reason: 'API_KEY_INVALID' })],
        },
      });
    }
  });

  it('cuts a stream without any finishReason, and sends in-band errors as error events', async () => {
    const path = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';
    const cut = await call(path, hello, { 'x-goog-api-key': KEY, 'x-mock-fault': 'sse_cut:3' });
    const chunks = events(cut.text);
    expect(chunks).toHaveLength(3);
    expect(chunks.every((chunk) => (chunk.candidates as Json[])[0]!.finishReason === undefined)).toBe(true);
    expect(mock.invoice.at(-1)).toMatchObject({ outputTokens: 3 + 7, completed: false });

    const broken = await call(path, hello, { 'x-goog-api-key': KEY, 'x-mock-fault': 'inband_error:2' });
    const last = events(broken.text).at(-1)!;
    expect(last).toMatchObject({ error: { code: 500, status: 'INTERNAL' } });
  });

  it('embeds one input with embedContent and several with batchEmbedContents, reporting no usage', async () => {
    const one = await call('/v1beta/models/gemini-embedding-001:embedContent', {
      content: { parts: [{ text: 'hello' }] },
    });
    const single = JSON.parse(one.text) as { embedding: { values: number[] } };
    expect(single.embedding.values).toHaveLength(16);

    const many = await call('/v1beta/models/gemini-embedding-001:batchEmbedContents', {
      requests: ['hello', 'world'].map((text) => ({
        model: 'models/gemini-embedding-001',
        content: { parts: [{ text }] },
        outputDimensionality: 8,
      })),
    });
    const batch = JSON.parse(many.text) as Json & { embeddings: { values: number[] }[] };
    expect(batch.embeddings.map((e) => e.values.length)).toEqual([8, 8]);
    expect(batch.usageMetadata).toBeUndefined();
    expect(mock.invoice.at(-1)).toMatchObject({
      endpoint: 'embeddings',
      inputTokens: countTokens('hello') + countTokens('world'),
    });

    const wrongModel = await call('/v1beta/models/gemini-embedding-001:batchEmbedContents', {
      requests: [{ model: 'models/other', content: { parts: [{ text: 'x' }] } }],
    });
    expect(wrongModel.status).toBe(400);
  });

  it("serves Gemini's model listing under /v1beta and leaves /v1/models to the OpenAI wire", async () => {
    const one = JSON.parse((await call('/v1beta/models/gemini-2.5-flash')).text) as Json;
    expect(one).toMatchObject({
      name: 'models/gemini-2.5-flash',
      supportedGenerationMethods: expect.arrayContaining(['generateContent']),
    });
    const list = JSON.parse((await call('/v1beta/models')).text) as { models: Json[] };
    expect(list.models.map((model) => model.name)).toContain('models/gemini-embedding-001');
    const openai = await call('/v1/models', undefined, { authorization: `Bearer ${KEY}` });
    expect(JSON.parse(openai.text)).toMatchObject({ object: 'list' });
  });
});
