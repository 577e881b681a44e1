import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../core/chat.js';
import { GatewayError } from '../../../core/errors.js';
import { createChatStreamEncoder } from './encode-chat-stream.js';

const ID = 'chatcmpl-sy-1';
const MODEL = 'gpt-4o-mini';

const TEXT_PARTS: StreamPart[] = [
  { type: 'start', id: 'upstream-id', model: 'gpt-4o-mini-2024-07-18', created: 1727000000 },
  { type: 'reasoning-delta', choice: 0, text: 'thinking…' },
  { type: 'text-delta', choice: 0, text: 'Hello' },
  { type: 'text-delta', choice: 0, text: ', "world" ☕\n' },
  { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'end_turn' } },
  { type: 'usage', usage: { inputTokens: 12, outputTokens: 4, cachedInputTokens: 8 } },
];

const TOOL_PARTS: StreamPart[] = [
  { type: 'start', id: 'u', model: 'm', created: 1727000000 },
  { type: 'text-delta', choice: 0, text: 'Checking.' },
  { type: 'tool-call-delta', choice: 0, index: 0, id: 'call_1', name: 'get_weather', argumentsDelta: '' },
  { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"city":' },
  { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '"Paris"}' },
  { type: 'tool-call-delta', choice: 0, index: 1, id: 'call_2', name: 'get_time', argumentsDelta: '{}' },
  { type: 'finish', choice: 0, finishReason: { unified: 'tool_calls', raw: 'tool_use' } },
  { type: 'usage', usage: { inputTokens: 30, outputTokens: 20, reasoningTokens: 5 } },
];

function encodeAll(parts: StreamPart[], includeUsage: boolean, end: 'done' | 'none' = 'done'): string {
  const encoder = createChatStreamEncoder({ id: ID, model: MODEL, includeUsage });
  let text = '';
  for (const part of parts) text += encoder.encode(part);
  return end === 'done' ? text + encoder.done() : text;
}

function events(text: string): unknown[] {
  expect(text.endsWith('\n\n') || text === '').toBe(true);
  return text
    .split('\n\n')
    .filter((event) => event !== '')
    .map((event) => {
      expect(event.startsWith('data: ')).toBe(true);
      const data = event.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}

describe('createChatStreamEncoder', () => {
  it('writes chat.completion.chunk events in OpenAI’s shape', () => {
    expect(events(encodeAll(TEXT_PARTS, true))).toEqual([
      {
        id: ID,
        object: 'chat.completion.chunk',
        created: 1727000000,
        model: MODEL,
        choices: [
          { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
        ],
        usage: null,
      },
      {
        id: ID,
        object: 'chat.completion.chunk',
        created: 1727000000,
        model: MODEL,
        choices: [{ index: 0, delta: { content: 'Hello' }, logprobs: null, finish_reason: null }],
        usage: null,
      },
      {
        id: ID,
        object: 'chat.completion.chunk',
        created: 1727000000,
        model: MODEL,
        choices: [{ index: 0, delta: { content: ', "world" ☕\n' }, logprobs: null, finish_reason: null }],
        usage: null,
      },
      {
        id: ID,
        object: 'chat.completion.chunk',
        created: 1727000000,
        model: MODEL,
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
        usage: null,
      },
      {
        id: ID,
        object: 'chat.completion.chunk',
        created: 1727000000,
        model: MODEL,
        choices: [],
        usage: {
          prompt_tokens: 12,
          completion_tokens: 4,
          total_tokens: 16,
          prompt_tokens_details: { cached_tokens: 8 },
        },
      },
      '[DONE]',
    ]);
  });

  it('leaves usage out entirely unless the client asked for it', () => {
    const out = events(encodeAll(TEXT_PARTS, false)) as Record<string, unknown>[];
    expect(out).toHaveLength(5);
    for (const chunk of out.slice(0, 4)) expect(chunk).not.toHaveProperty('usage');
    const encoder = createChatStreamEncoder({ id: ID, model: MODEL, includeUsage: false });
    expect(encoder.encode({ type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } })).toBe('');
  });

  it('encodes tool-call deltas as OpenAI sends them', () => {
    const out = events(encodeAll(TOOL_PARTS, false)) as {
      choices: { delta: unknown; finish_reason: unknown }[];
    }[];
    expect(out.map((chunk) => (chunk === ('[DONE]' as unknown) ? chunk : chunk.choices[0]?.delta))).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Checking.' },
      {
        tool_calls: [
          { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
      {
        tool_calls: [
          { index: 1, id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      {},
      '[DONE]',
    ]);
    expect(out[6]?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('opens each further choice with its own role chunk', () => {
    const encoder = createChatStreamEncoder({ id: ID, model: MODEL, includeUsage: false });
    encoder.encode({ type: 'start', id: 'u', model: 'm', created: 5 });
    const out = events(encoder.encode({ type: 'text-delta', choice: 1, text: 'b' })) as {
      choices: { index: number; delta: unknown }[];
    }[];
    expect(out.map((chunk) => chunk.choices[0])).toMatchObject([
      { index: 1, delta: { role: 'assistant', content: '' } },
      { index: 1, delta: { content: 'b' } },
    ]);
  });

  it('encodes logprobs, refusals and mapped finish reasons', () => {
    const encoder = createChatStreamEncoder({ id: ID, model: MODEL, includeUsage: false });
    encoder.encode({ type: 'start', id: 'u', model: 'm', created: 5 });
    const [logprobs] = events(
      encoder.encode({
        type: 'logprobs',
        choice: 0,
        tokens: [{ token: 'Hi', logprob: -0.5, topLogprobs: [{ token: 'Hey', logprob: -1 }] }],
      }),
    ) as { choices: unknown[] }[];
    expect(logprobs?.choices[0]).toEqual({
      index: 0,
      delta: {},
      logprobs: {
        content: [
          {
            token: 'Hi',
            logprob: -0.5,
            bytes: null,
            top_logprobs: [{ token: 'Hey', logprob: -1, bytes: null }],
          },
        ],
        refusal: null,
      },
      finish_reason: null,
    });
    const [refusal] = events(encoder.encode({ type: 'refusal-delta', choice: 0, text: 'No.' })) as {
      choices: { delta: unknown }[];
    }[];
    expect(refusal?.choices[0]?.delta).toEqual({ refusal: 'No.' });
    for (const [unified, raw, wire] of [
      ['length', 'max_tokens', 'length'],
      ['content_filter', 'SAFETY', 'content_filter'],
      ['other', 'pause_turn', 'stop'],
      ['stop', 'content_filter', 'content_filter'],
    ] as const) {
      const [chunk] = events(
        encoder.encode({ type: 'finish', choice: 0, finishReason: { unified, raw } }),
      ) as {
        choices: { finish_reason: unknown }[];
      }[];
      expect(chunk?.choices[0]?.finish_reason).toBe(wire);
    }
  });

  it('encodes an error as an error event', () => {
    const encoder = createChatStreamEncoder({ id: ID, model: MODEL, includeUsage: true });
    const error = new GatewayError('MODEL_ERROR', 'upstream returned 500: boom', {
      details: { provider: 'p' },
    });
    expect(encoder.encode({ type: 'error', error })).toBe(
      'data: {"error":{"code":"MODEL_ERROR","message":"upstream returned 500: boom","type":"api_error"}}\n\n',
    );
  });
});

describe('createChatStreamEncoder with the official openai client', () => {
  let close: (() => Promise<void>) | undefined;

  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  /** A real server on 127.0.0.1 writing the encoder's output for whatever the client asks. */
  async function serve(parts: StreamPart[], end: 'done' | 'none'): Promise<OpenAI> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        raw += chunk;
      });
      req.on('end', () => {
        const body = JSON.parse(raw) as { stream_options?: { include_usage?: boolean } };
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
        });
        res.end(encodeAll(parts, body.stream_options?.include_usage === true, end));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
    const { port } = server.address() as AddressInfo;
    return new OpenAI({ apiKey: 'test-key', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  }

  it('streams text and usage that the client reads back', async () => {
    const client = await serve(TEXT_PARTS, 'done');
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      expect(chunk.id).toBe(ID);
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello, "world" ☕\n');
    expect(finish).toBe('stop');
    expect(usage).toEqual({
      prompt_tokens: 12,
      completion_tokens: 4,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 8 },
    });
  });

  it('accumulates into the final completion with the client’s stream helper', async () => {
    const client = await serve(TOOL_PARTS, 'done');
    const runner = client.chat.completions.stream({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather?' }],
      stream_options: { include_usage: true },
    });
    const completion = await runner.finalChatCompletion();
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]?.message.content).toBe('Checking.');
    expect(completion.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);
    expect(completion.usage).toMatchObject({
      prompt_tokens: 30,
      completion_tokens: 20,
      completion_tokens_details: { reasoning_tokens: 5 },
    });
  });

  it('makes the client throw an APIError when the stream ends with an error event and no [DONE]', async () => {
    const error = new GatewayError('MODEL_ERROR', 'upstream stream was cut', { details: { provider: 'p' } });
    const client = await serve(
      [
        { type: 'start', id: 'u', model: 'm', created: 1 },
        { type: 'text-delta', choice: 0, text: 'Partial' },
        { type: 'error', error },
      ],
      'none',
    );
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    let thrown: unknown;
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } catch (caught) {
      thrown = caught;
    }
    expect(text).toBe('Partial');
    expect(thrown).toBeInstanceOf(APIError);
    expect((thrown as APIError).message).toContain('upstream stream was cut');
    expect((thrown as APIError).code).toBe('MODEL_ERROR');
  });

  it('(why the error event matters) a stream that merely stops ends normally for the client', async () => {
    const client = await serve(TEXT_PARTS.slice(0, 3), 'none');
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello');
  });
});
