import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';
import { parseAnthropicMessagesResponse } from './anthropic-messages-response.js';

const target: UpstreamTarget = {
  provider: 'anthropic',
  type: 'anthropic',
  baseUrl: 'https://api.anthropic.com',
  model: 'claude-sonnet-4-20250514',
};

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

describe('parseAnthropicMessagesResponse', () => {
  it('parses the reference text response', () => {
    expect(parseAnthropicMessagesResponse(fixture('message-response-text.json'), target)).toEqual({
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      model: 'claude-sonnet-4-20250514',
      created: 0,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: [{ type: 'text', text: 'Hi! My name is Claude.' }] },
          finishReason: { unified: 'stop', raw: 'end_turn' },
        },
      ],
      usage: { inputTokens: 2095, outputTokens: 503 },
    });
  });

  it('turns tool_use blocks into tool calls and adds the cache classes into the input', () => {
    const result = parseAnthropicMessagesResponse(fixture('message-response-tool-use.json'), target);
    const choice = result.choices[0]!;
    expect(choice.message.content).toEqual([
      { type: 'text', text: "I'll check the current weather in San Francisco for you." },
    ]);
    expect(choice.message.toolCalls).toEqual([
      {
        id: 'toolu_01A09q90qw90lq917835lq9',
        name: 'get_weather',
        arguments: '{"location":"San Francisco, CA","unit":"celsius"}',
      },
      { id: 'toolu_01B7c2Hk3', name: 'get_time', arguments: '{}' },
    ]);
    expect(choice.finishReason).toEqual({ unified: 'tool_calls', raw: 'tool_use' });
    // 50 uncached + 100 000 read + 1 200 written.
    expect(result.usage).toEqual({
      inputTokens: 101_250,
      outputTokens: 89,
      cachedInputTokens: 100_000,
      cacheWriteTokens: 1200,
    });
  });

  it('keeps thinking with its signature and redacted thinking, in order', () => {
    const result = parseAnthropicMessagesResponse(fixture('message-response-thinking.json'), target);
    expect(result.choices[0]!.message.content).toEqual([
      {
        type: 'thinking',
        text: 'Let me analyze this step by step...',
        signature: 'WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL....',
      },
      {
        type: 'redacted_thinking',
        data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj2pabXIRnM3cnS8fzRlOEjGQ',
      },
      { type: 'text', text: 'Based on my analysis, the answer is 42.' },
    ]);
    expect(result.choices[0]!.finishReason).toEqual({ unified: 'length', raw: 'max_tokens' });
    expect(result.usage).toEqual({ inputTokens: 120, outputTokens: 2048, reasoningTokens: 1900 });
  });

  it('turns the JSON-output tool call into the answer text with a normal stop', () => {
    const result = parseAnthropicMessagesResponse(fixture('message-response-json-output.json'), target);
    const choice = result.choices[0]!;
    expect(choice.message.content).toEqual([{ type: 'text', text: '{"city":"Oslo","temperature_c":-3}' }]);
    expect(choice.message.toolCalls).toBeUndefined();
    expect(choice.finishReason).toEqual({ unified: 'stop', raw: 'tool_use' });
  });

  it('maps every documented stop reason', () => {
    const cases: [string | null, string][] = [
      ['end_turn', 'stop'],
      ['stop_sequence', 'stop'],
      ['max_tokens', 'length'],
      ['model_context_window_exceeded', 'length'],
      ['tool_use', 'tool_calls'],
      ['refusal', 'content_filter'],
      ['pause_turn', 'other'],
      [null, 'other'],
    ];
    for (const [raw, unified] of cases) {
      const body = { ...(fixture('message-response-text.json') as object), stop_reason: raw };
      expect(parseAnthropicMessagesResponse(body, target).choices[0]!.finishReason).toEqual({ unified, raw });
    }
  });

  it('marks missing usage as unreported and falls back to the target model', () => {
    const result = parseAnthropicMessagesResponse(
      { type: 'message', content: [], stop_reason: 'end_turn' },
      target,
    );
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, estimated: true });
    expect(result.model).toBe('claude-sonnet-4-20250514');
  });

  it('rejects bodies that are not messages, and classifies an error body', () => {
    for (const bad of [null, 'text', { content: 'x' }, { content: [{ type: 'text', text: 3 }] }]) {
      expect(() => parseAnthropicMessagesResponse(bad, target)).toThrow(
        expect.objectContaining({ code: 'INVALID_RESPONSE', retryable: true }),
      );
    }
    try {
      parseAnthropicMessagesResponse(fixture('error-overloaded.json'), target);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('MODEL_UNAVAILABLE');
    }
  });
});
