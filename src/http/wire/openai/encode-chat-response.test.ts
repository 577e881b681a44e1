import { describe, expect, it } from 'vitest';
import type { ChatResult } from '../../../core/chat.js';
import { encodeChatResponse } from './encode-chat-response.js';

const RESULT: ChatResult = {
  id: 'upstream-1',
  model: 'claude-3-5-haiku-20241022',
  created: 1727000000,
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: [
          { type: 'thinking', text: 'private reasoning', signature: 's' },
          { type: 'text', text: 'Let me ' },
          { type: 'text', text: 'check.' },
        ],
        toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      },
      finishReason: { unified: 'tool_calls', raw: 'tool_use' },
      logprobs: [{ token: 'Let', logprob: -0.1 }],
    },
    {
      index: 1,
      message: { role: 'assistant', content: [], refusal: 'I cannot help with that.' },
      finishReason: { unified: 'stop', raw: 'stop' },
    },
  ],
  usage: {
    inputTokens: 100,
    outputTokens: 50,
    cachedInputTokens: 80,
    cacheWriteTokens: 10,
    reasoningTokens: 20,
  },
  systemFingerprint: 'fp_1',
};

describe('encodeChatResponse', () => {
  it('encodes the exact chat.completion object', () => {
    expect(encodeChatResponse(RESULT, { id: 'chatcmpl-sy-1', model: 'smart' })).toEqual({
      id: 'chatcmpl-sy-1',
      object: 'chat.completion',
      created: 1727000000,
      model: 'smart',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me check.',
            refusal: null,
            tool_calls: [
              {
                id: 'toolu_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
          logprobs: {
            content: [{ token: 'Let', logprob: -0.1, bytes: null, top_logprobs: [] }],
            refusal: null,
          },
          finish_reason: 'tool_calls',
        },
        {
          index: 1,
          message: { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 50,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 80, cache_write_tokens: 10 },
        completion_tokens_details: { reasoning_tokens: 20 },
      },
      system_fingerprint: 'fp_1',
    });
  });

  it('uses the raw finish reason only when OpenAI knows it', () => {
    const cases = [
      [{ unified: 'stop', raw: 'stop' }, 'stop'],
      [{ unified: 'length', raw: 'MAX_TOKENS' }, 'length'],
      [{ unified: 'content_filter', raw: 'SAFETY' }, 'content_filter'],
      [{ unified: 'tool_calls', raw: 'function_call' }, 'tool_calls'],
      [{ unified: 'other', raw: 'pause_turn' }, 'stop'],
      [{ unified: 'error', raw: null }, 'stop'],
    ] as const;
    for (const [finishReason, wire] of cases) {
      const result: ChatResult = { ...RESULT, choices: [{ ...RESULT.choices[0]!, finishReason }] };
      expect(encodeChatResponse(result, { id: 'x', model: 'm' }).choices[0]?.finish_reason).toBe(wire);
    }
  });

  it('leaves out token details and the fingerprint when unknown, and never shows a 1970 timestamp', () => {
    const out = encodeChatResponse(
      { ...RESULT, created: 0, usage: { inputTokens: 1, outputTokens: 2 }, systemFingerprint: undefined },
      { id: 'x', model: 'm' },
    );
    expect(out.usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
    expect(out).not.toHaveProperty('system_fingerprint');
    expect(out.created).toBeGreaterThan(1_700_000_000);
  });
});
