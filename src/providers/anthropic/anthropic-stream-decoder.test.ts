import { describe, expect, it } from 'vitest';
import { createFixtureDecoder } from '../../../test/helpers/stream-decoder.js';
import type { StreamPart } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { createSseParser } from '../shared/sse-parser.js';
import type { UpstreamTarget } from '../spec.js';
import { createAnthropicStreamDecoder } from './anthropic-stream-decoder.js';

const target: UpstreamTarget = {
  provider: 'anthropic',
  type: 'anthropic',
  baseUrl: 'https://api.anthropic.com',
  model: 'claude-sonnet-4-20250514',
};

const { decode, decodeFixture, fixtureBytes } = createFixtureDecoder({
  fixtures: new URL('./__fixtures__/', import.meta.url),
  createParser: createSseParser,
  createDecoder: () => createAnthropicStreamDecoder(target),
});

describe('createAnthropicStreamDecoder', () => {
  it('decodes the reference text stream, ping included', () => {
    expect(decodeFixture('stream-text.sse')).toEqual({
      parts: [
        {
          type: 'start',
          id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
          model: 'claude-opus-4-20250514',
          created: 0,
        },
        { type: 'text-delta', choice: 0, text: 'Hello' },
        { type: 'text-delta', choice: 0, text: '! Ça va — ☕ 🌍?' },
        { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'end_turn' } },
        { type: 'usage', usage: { inputTokens: 25, outputTokens: 15 } },
      ],
      done: true,
    });
  });

  it('numbers tool calls by their position among calls, not by content block', () => {
    expect(decodeFixture('stream-tool-use.sse')).toEqual({
      parts: [
        { type: 'start', id: 'msg_014p7gG3wDgGV9EUtLvnow3U', model: 'claude-sonnet-4-20250514', created: 0 },
        { type: 'text-delta', choice: 0, text: 'Okay, let me check the weather' },
        {
          type: 'tool-call-delta',
          choice: 0,
          index: 0,
          id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
          name: 'get_weather',
          argumentsDelta: '',
        },
        { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"location":' },
        { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: ' "San Francisco, CA"}' },
        {
          type: 'tool-call-delta',
          choice: 0,
          index: 1,
          id: 'toolu_02Second',
          name: 'get_time',
          argumentsDelta: '',
        },
        { type: 'tool-call-delta', choice: 0, index: 1, argumentsDelta: '{"tz":"PST"}' },
        { type: 'finish', choice: 0, finishReason: { unified: 'tool_calls', raw: 'tool_use' } },
        {
          type: 'usage',
          // message_start's input classes, message_delta's output count.
          usage: { inputTokens: 32_472, outputTokens: 89, cachedInputTokens: 30_000, cacheWriteTokens: 2000 },
        },
      ],
      done: true,
    });
  });

  it('streams thinking and its signature, and skips redacted thinking', () => {
    expect(decodeFixture('stream-thinking.sse').parts).toEqual([
      { type: 'start', id: 'msg_01ThinkStream', model: 'claude-3-7-sonnet-20250219', created: 0 },
      {
        type: 'reasoning-delta',
        choice: 0,
        text: 'Let me solve this step by step:\n\n1. First break down 27 * 453',
      },
      { type: 'reasoning-delta', choice: 0, text: '\n2. 453 = 400 + 50 + 3' },
      {
        type: 'reasoning-delta',
        choice: 0,
        text: '',
        signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...',
      },
      { type: 'text-delta', choice: 0, text: '27 * 453 = 12,231' },
      { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'end_turn' } },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: 95, reasoningTokens: 80 } },
    ]);
  });

  it('streams the JSON-output tool as answer text with a normal stop', () => {
    expect(decodeFixture('stream-json-output.sse').parts).toEqual([
      { type: 'start', id: 'msg_01JsonStream', model: 'claude-sonnet-4-20250514', created: 0 },
      { type: 'text-delta', choice: 0, text: '{"city": "Os' },
      { type: 'text-delta', choice: 0, text: 'lo"}' },
      { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'tool_use' } },
      { type: 'usage', usage: { inputTokens: 410, outputTokens: 24 } },
    ]);
  });

  it('turns an error event into a classified error part and is not done', () => {
    const { parts, done } = decodeFixture('stream-error.sse');
    expect(done).toBe(false);
    expect(parts.map((p) => p.type)).toEqual(['start', 'text-delta', 'error']);
    const error = (parts[2] as Extract<StreamPart, { type: 'error' }>).error;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe('MODEL_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.details).toMatchObject({
      upstream_type: 'overloaded_error',
      upstream_message: 'Overloaded',
    });
  });

  it('is neither done nor finished when the stream is cut before message_delta', () => {
    const text = new TextDecoder().decode(fixtureBytes('stream-text.sse'));
    const cut = text.slice(0, text.indexOf('event: content_block_stop'));
    const { parts, done } = decode([new TextEncoder().encode(cut)]);
    expect(done).toBe(false);
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    expect(parts.at(-1)).toEqual({ type: 'text-delta', choice: 0, text: '! Ça va — ☕ 🌍?' });
  });

  it('rejects data that is not JSON and deltas for blocks never started', () => {
    const decoder = createAnthropicStreamDecoder(target);
    expect(() =>
      decoder.push({ event: 'content_block_delta', data: '{"type":"content_block_delta"' }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_RESPONSE' }));
    expect(() =>
      decoder.push({
        data: '{"type":"content_block_delta","index":4,"delta":{"type":"text_delta","text":"x"}}',
      }),
    ).toThrow(/block 4/);
  });

  it('ignores event types it does not know', () => {
    const decoder = createAnthropicStreamDecoder(target);
    expect(decoder.push({ event: 'future_event', data: '{"type":"future_event","x":1}' })).toEqual([]);
  });
});
