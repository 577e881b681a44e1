/**
 * The Anthropic encoders, checked by the official Anthropic SDK: encoded bodies and streams are
 * served over real HTTP on 127.0.0.1 and must come out of the SDK as the message they encode.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatResult, StreamPart } from '../../../core/chat.js';
import { GatewayError } from '../../../core/errors.js';
import type { Usage } from '../../../core/usage.js';
import { encodeAnthropicError, encodeStopReason } from './encode-anthropic-fields.js';
import { encodeMessagesResponse } from './encode-messages-response.js';
import { createMessagesStreamEncoder } from './encode-messages-stream.js';

const ID = 'msg_0123abcd';
const MODEL = 'claude-sonnet';

/** What the fake upstream answers next: a JSON body or SSE text. */
let next: { status: number; contentType: string; body: string } = {
  status: 200,
  contentType: 'application/json',
  body: '{}',
};
let server: Server;
let client: Anthropic;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(next.status, { 'content-type': next.contentType });
    res.end(next.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new Anthropic({ baseURL: `http://127.0.0.1:${port}`, apiKey: 'x', maxRetries: 0 });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const params = { model: MODEL, max_tokens: 100, messages: [{ role: 'user' as const, content: 'Hi' }] };

function sse(parts: StreamPart[], usage?: Usage): string {
  const encoder = createMessagesStreamEncoder({ id: ID, model: MODEL, requestId: 'req-1' });
  let text = '';
  for (const part of parts) text += encoder.encode(part);
  return usage === undefined ? text : text + encoder.end(usage);
}

const USAGE: Usage = { inputTokens: 1300, outputTokens: 40, cachedInputTokens: 1000, cacheWriteTokens: 200 };
const WIRE_USAGE = {
  input_tokens: 100,
  cache_read_input_tokens: 1000,
  cache_creation_input_tokens: 200,
  output_tokens: 40,
};

describe('encodeMessagesResponse', () => {
  it('is parsed by the SDK into the message it encodes', async () => {
    const result: ChatResult = {
      id: 'upstream',
      model: 'gpt-4o',
      created: 0,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: [
              { type: 'thinking', text: 'hmm', signature: 'sig' },
              { type: 'text', text: 'Let me ' },
              { type: 'text', text: 'check.' },
            ],
            toolCalls: [
              { id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
              { id: '', name: 'get_time', arguments: '{"tz":' },
            ],
          },
          finishReason: { unified: 'tool_calls', raw: 'tool_calls' },
        },
      ],
      usage: USAGE,
    };
    next = {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify(encodeMessagesResponse(result, { id: ID, model: MODEL })),
    };
    const message = await client.messages.create(params);
    expect(message).toMatchObject({
      id: ID,
      type: 'message',
      role: 'assistant',
      model: MODEL,
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: WIRE_USAGE,
    });
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } },
      // No upstream id: a fresh toolu_ id; cut arguments: an empty input.
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_[A-Za-z0-9_-]{16}$/),
        name: 'get_time',
        input: {},
      },
    ]);
  });
});

describe('createMessagesStreamEncoder', () => {
  it('streams text, thinking and tool calls that the SDK accumulates into the final message', async () => {
    const parts: StreamPart[] = [
      { type: 'start', id: 'upstream', model: 'gpt-4o', created: 1 },
      { type: 'reasoning-delta', choice: 0, text: 'Thinking ' },
      { type: 'reasoning-delta', choice: 0, text: 'hard.' },
      { type: 'reasoning-delta', choice: 0, text: '', signature: 'sig-1' },
      { type: 'text-delta', choice: 0, text: 'Checking ' },
      { type: 'text-delta', choice: 0, text: '"both" ☕\n' },
      { type: 'tool-call-delta', choice: 0, index: 0, id: 'call_a', name: 'get_weather', argumentsDelta: '' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', choice: 0, index: 1, name: 'get_time', argumentsDelta: '{"tz":"CET"}' },
      // A late fragment of the first call goes back to its block.
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '"Oslo"}' },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool_calls', raw: 'tool_calls' } },
    ];
    next = { status: 200, contentType: 'text/event-stream', body: sse(parts, USAGE) };
    const stream = client.messages.stream(params);
    const texts: string[] = [];
    stream.on('text', (delta) => texts.push(delta));
    const message = await stream.finalMessage();
    expect(texts).toEqual(['Checking ', '"both" ☕\n']);
    expect(message).toMatchObject({ id: ID, model: MODEL, stop_reason: 'tool_use', usage: WIRE_USAGE });
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Thinking hard.', signature: 'sig-1' },
      { type: 'text', text: 'Checking "both" ☕\n' },
      { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Oslo' } },
      { type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'get_time', input: { tz: 'CET' } },
    ]);
  });

  it('writes every event with its name, message_start first and message_stop last', () => {
    const text = sse(
      [
        { type: 'start', id: 'u', model: 'm', created: 1 },
        { type: 'text-delta', choice: 0, text: 'Hi' },
        { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'stop' } },
      ],
      { inputTokens: 3, outputTokens: 1 },
    );
    const names = text
      .split('\n\n')
      .filter((event) => event !== '')
      .map((event) => {
        const [name, data] = event.split('\n');
        expect(data?.startsWith('data: ')).toBe(true);
        expect(JSON.parse(data!.slice(6)).type).toBe(name!.slice('event: '.length));
        return name;
      });
    expect(names).toEqual([
      'event: message_start',
      'event: content_block_start',
      'event: content_block_delta',
      'event: content_block_stop',
      'event: message_delta',
      'event: message_stop',
    ]);
  });

  it('ends a failed stream with an error event and no message_stop, which the SDK throws on', async () => {
    const body = sse([
      { type: 'start', id: 'u', model: 'm', created: 1 },
      { type: 'text-delta', choice: 0, text: 'Partial' },
      {
        type: 'error',
        error: new GatewayError('MODEL_UNAVAILABLE', 'upstream returned 529: Overloaded', {
          details: { provider: 'anthropic' },
        }),
      },
    ]);
    expect(body).not.toContain('message_stop');
    expect(body).not.toContain('message_delta');
    next = { status: 200, contentType: 'text/event-stream', body };
    const error = await client.messages
      .stream(params)
      .finalMessage()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
    expect((error as Error).message).toContain('Overloaded');
  });
});

describe('encodeStopReason and encodeAnthropicError', () => {
  it('maps unified reasons to Anthropic words, keeping Anthropic raw values', () => {
    expect(encodeStopReason({ unified: 'stop', raw: 'stop' })).toBe('end_turn');
    expect(encodeStopReason({ unified: 'stop', raw: 'stop_sequence' })).toBe('stop_sequence');
    expect(encodeStopReason({ unified: 'length', raw: 'length' })).toBe('max_tokens');
    expect(encodeStopReason({ unified: 'tool_calls', raw: 'tool_calls' })).toBe('tool_use');
    expect(encodeStopReason({ unified: 'content_filter', raw: 'content_filter' })).toBe('refusal');
    expect(encodeStopReason({ unified: 'other', raw: 'pause_turn' })).toBe('pause_turn');
    expect(encodeStopReason({ unified: 'other', raw: 'eos' })).toBe('end_turn');
  });

  it('answers the Anthropic envelope with the gateway code and details inside', () => {
    const error = new GatewayError('RATE_LIMIT_EXCEEDED', 'slow down', { details: { limit: 'rpm' } });
    expect(encodeAnthropicError(error, 'req-9')).toEqual({
      type: 'error',
      error: {
        type: 'rate_limit_error',
        message: 'slow down',
        code: 'RATE_LIMIT_EXCEEDED',
        details: { limit: 'rpm' },
      },
      request_id: 'req-9',
    });
    expect(encodeAnthropicError(new GatewayError('INVALID_REQUEST', 'x')).error.type).toBe(
      'invalid_request_error',
    );
    expect(encodeAnthropicError(new GatewayError('MODEL_UNAVAILABLE', 'x')).error.type).toBe(
      'overloaded_error',
    );
    expect(encodeAnthropicError(new GatewayError('ROUTE_EXHAUSTED', 'x')).error.type).toBe('api_error');
  });
});
