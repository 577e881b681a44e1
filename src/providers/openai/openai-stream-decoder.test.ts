import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { createSseParser } from '../shared/sse-parser.js';
import type { UpstreamTarget } from '../spec.js';
import { createOpenAIStreamDecoder } from './openai-stream-decoder.js';

const target: UpstreamTarget = {
  provider: 'openai',
  type: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-mini',
};

function fixtureBytes(name: string): Uint8Array {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url));
}

/** Frames the bytes with the real SSE parser and decodes them, as the executor does. */
function decode(
  chunks: Uint8Array[],
  upstream: UpstreamTarget = target,
): { parts: StreamPart[]; done: boolean } {
  const parser = createSseParser();
  const decoder = createOpenAIStreamDecoder(upstream);
  const parts: StreamPart[] = [];
  for (const chunk of chunks) for (const event of parser.push(chunk)) parts.push(...decoder.push(event));
  for (const event of parser.end().events) parts.push(...decoder.push(event));
  parts.push(...decoder.end());
  return { parts, done: decoder.done };
}

/** The same parts whatever the chunk boundaries of the recorded stream. */
function decodeFixture(name: string, upstream?: UpstreamTarget): { parts: StreamPart[]; done: boolean } {
  const bytes = fixtureBytes(name);
  const whole = decode([bytes], upstream);
  for (let i = 1; i < bytes.length; i += 7) {
    expect(decode([bytes.subarray(0, i), bytes.subarray(i)], upstream), `split at ${i}`).toEqual(whole);
  }
  return whole;
}

describe('createOpenAIStreamDecoder', () => {
  it('decodes the reference streaming example', () => {
    expect(decodeFixture('stream-basic.sse')).toEqual({
      parts: [
        { type: 'start', id: 'chatcmpl-123', model: 'gpt-4o-mini', created: 1694268190 },
        { type: 'text-delta', choice: 0, text: 'Hello' },
        { type: 'text-delta', choice: 0, text: '! How can I help — ☕ 🌍?' },
        { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'stop' } },
      ],
      done: true,
    });
  });

  it('decodes tool-call deltas and the usage chunk', () => {
    expect(decodeFixture('stream-tool-calls-usage.sse')).toEqual({
      parts: [
        { type: 'start', id: 'chatcmpl-B1', model: 'gpt-4o-2024-08-06', created: 1727000000 },
        {
          type: 'tool-call-delta',
          choice: 0,
          index: 0,
          id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
          name: 'get_weather',
          argumentsDelta: '',
        },
        { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"' },
        { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: 'location' },
        { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '":"Paris, France"}' },
        {
          type: 'tool-call-delta',
          choice: 0,
          index: 1,
          id: 'call_second',
          name: 'get_time',
          argumentsDelta: '',
        },
        { type: 'tool-call-delta', choice: 0, index: 1, argumentsDelta: '{"tz":"CET"}' },
        { type: 'finish', choice: 0, finishReason: { unified: 'tool_calls', raw: 'tool_calls' } },
        { type: 'usage', usage: { inputTokens: 81, outputTokens: 38, cachedInputTokens: 64 } },
      ],
      done: true,
    });
  });

  it('decodes two choices with logprobs', () => {
    const { parts, done } = decodeFixture('stream-n2-logprobs.sse');
    expect(done).toBe(true);
    expect(parts).toEqual([
      { type: 'start', id: 'chatcmpl-L1', model: 'gpt-4o-mini', created: 1702685778 },
      { type: 'text-delta', choice: 0, text: 'Hello' },
      {
        type: 'logprobs',
        choice: 0,
        tokens: [
          { token: 'Hello', logprob: -0.31725305, topLogprobs: [{ token: 'Hello', logprob: -0.31725305 }] },
        ],
      },
      { type: 'text-delta', choice: 1, text: 'Hi' },
      { type: 'logprobs', choice: 1, tokens: [{ token: 'Hi', logprob: -1.3190403, topLogprobs: [] }] },
      { type: 'finish', choice: 0, finishReason: { unified: 'length', raw: 'length' } },
      { type: 'finish', choice: 1, finishReason: { unified: 'stop', raw: 'stop' } },
    ]);
  });

  it("skips Azure's anonymous prompt-filter chunk and starts from the first named chunk", () => {
    const azure: UpstreamTarget = { ...target, type: 'azure', model: 'my-deployment' };
    expect(decodeFixture('stream-azure.sse', azure)).toEqual({
      parts: [
        { type: 'start', id: 'chatcmpl-AZ1', model: 'gpt-4o-2024-11-20', created: 1757525800 },
        { type: 'text-delta', choice: 0, text: 'Sol' },
        { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'stop' } },
        { type: 'usage', usage: { inputTokens: 14, outputTokens: 2 } },
      ],
      done: true,
    });
  });

  it('turns an in-band error event into a classified error part, without done', () => {
    const { parts, done } = decodeFixture('stream-error.sse');
    expect(done).toBe(false);
    expect(parts.slice(0, 2)).toEqual([
      { type: 'start', id: 'chatcmpl-E1', model: 'gpt-4o-mini', created: 1727000001 },
      { type: 'text-delta', choice: 0, text: 'Partial' },
    ]);
    const last = parts[2];
    expect(parts).toHaveLength(3);
    if (last?.type !== 'error') throw new Error('expected an error part');
    expect(last.error).toBeInstanceOf(GatewayError);
    expect(last.error.code).toBe('MODEL_ERROR');
    expect(last.error.retryable).toBe(true);
    expect(last.error.details).toEqual({
      provider: 'openai',
      upstream_status: 500,
      upstream_message: 'The server had an error while processing your request. Sorry about that!',
    });
  });

  it('classifies in-band errors by type, code or numeric status', () => {
    const decoder = createOpenAIStreamDecoder(target);
    const errorOf = (payload: unknown) => {
      const [part] = decoder.push({ data: JSON.stringify(payload) });
      if (part?.type !== 'error') throw new Error('expected an error part');
      return part.error;
    };
    expect(errorOf({ error: { message: 'slow', type: 'rate_limit_error' } }).code).toBe(
      'RATE_LIMIT_EXCEEDED',
    );
    expect(errorOf({ error: { message: 'long', code: 'context_length_exceeded' } }).code).toBe(
      'TOKEN_LIMIT_EXCEEDED',
    );
    const badRequest = errorOf({
      error: { object: 'error', message: 'bad', type: 'BadRequestError', code: 400 },
    });
    expect([badRequest.code, badRequest.status, badRequest.retryable]).toEqual(['MODEL_ERROR', 400, false]);
    expect(errorOf({ error: 'overloaded', error_type: 'overloaded' }).code).toBe('MODEL_ERROR');
  });

  it('throws INVALID_RESPONSE on a data line that is not JSON or not an object', () => {
    for (const data of ['{"id":', 'not json', '42', '[1]']) {
      const decoder = createOpenAIStreamDecoder(target);
      try {
        decoder.push({ data });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(GatewayError);
        expect((error as GatewayError).code).toBe('INVALID_RESPONSE');
      }
    }
  });

  it('is not done when the stream stops without [DONE], and end() adds nothing', () => {
    const bytes = fixtureBytes('stream-basic.sse');
    const text = new TextDecoder().decode(bytes);
    const cut = new TextEncoder().encode(text.slice(0, text.indexOf('data: [DONE]')));
    const { parts, done } = decode([cut]);
    expect(done).toBe(false);
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      choice: 0,
      finishReason: { unified: 'stop', raw: 'stop' },
    });
  });

  it('passes id and name on once per call even when the upstream repeats them', () => {
    const decoder = createOpenAIStreamDecoder(target);
    const chunk = (delta: unknown) =>
      decoder.push({
        data: JSON.stringify({
          id: 'c',
          model: 'm',
          created: 1,
          choices: [{ index: 0, delta, finish_reason: null }],
        }),
      });
    chunk({ role: 'assistant' });
    expect(
      chunk({
        tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }],
      }),
    ).toEqual([
      { type: 'tool-call-delta', choice: 0, index: 0, id: 'call_1', name: 'f', argumentsDelta: '' },
    ]);
    expect(
      chunk({
        tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      }),
    ).toEqual([{ type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{}' }]);
    expect(chunk({ tool_calls: [{ index: 0, id: null, function: { name: null, arguments: '' } }] })).toEqual(
      [],
    );
  });

  it('decodes refusal and reasoning deltas', () => {
    const decoder = createOpenAIStreamDecoder(target);
    const parts = decoder.push({
      data: JSON.stringify({
        id: 'c',
        model: 'm',
        created: 1,
        choices: [{ index: 0, delta: { refusal: 'No.', reasoning_content: 'hmm' }, finish_reason: null }],
      }),
    });
    expect(parts).toEqual([
      { type: 'start', id: 'c', model: 'm', created: 1 },
      { type: 'reasoning-delta', choice: 0, text: 'hmm' },
      { type: 'refusal-delta', choice: 0, text: 'No.' },
    ]);
  });
});
