import { describe, expect, it } from 'vitest';
import type { ChatResult } from '../../../core/chat.js';
import { encodeChatResponse, stringifyChatCompletion } from './encode-chat-response.js';

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

describe('stringifyChatCompletion', () => {
  const text = (value: string): ChatResult['choices'][number]['message']['content'] => [
    { type: 'text', text: value },
  ];
  const one = (message: Partial<ChatResult['choices'][number]['message']>): ChatResult => ({
    ...RESULT,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text('ok'), ...message },
        finishReason: { unified: 'stop', raw: 'stop' },
      },
    ],
  });

  it('writes exactly what JSON.stringify writes of the encoded object', () => {
    const results: ChatResult[] = [
      RESULT,
      { ...RESULT, usage: { inputTokens: 12, outputTokens: 11 }, systemFingerprint: undefined },
      { ...RESULT, created: 0, choices: [] },
      { ...RESULT, usage: { inputTokens: 1, outputTokens: 0, cachedInputTokens: 0 } },
      { ...RESULT, usage: { inputTokens: 1, outputTokens: 2, reasoningTokens: 7, estimated: true } },
      // What JSON escapes: quotes, backslashes, control characters, lone surrogates; and what it keeps.
      one({ content: text('say "hi"\\ \n\t\u0000\u001f \u2028 é → 😀 \ud800 \udfff') }),
      one({ content: [], refusal: 'no </script>' }),
      one({ toolCalls: [{ id: 'call_"1"', name: 'f', arguments: '{"a":[1,2,{"b":null}]}' }] }),
      one({ toolCalls: [] }),
      {
        ...one({}),
        choices: [
          {
            ...RESULT.choices[0]!,
            logprobs: [{ token: '\n', logprob: -0.5, topLogprobs: [{ token: 'a', logprob: -1e-7 }] }],
          },
          { ...RESULT.choices[1]!, index: 1 },
        ],
      },
    ];
    const ids = ['chatcmpl-01a2150a-2666-7000-a39a-7d33909fd8c1', 'id "quoted"\n', ''];
    for (const result of results) {
      for (const id of ids) {
        const out = encodeChatResponse(result, { id, model: 'gpt-4o-mini/é' });
        expect(stringifyChatCompletion(out)).toBe(JSON.stringify(out));
      }
    }
  });

  it('leaves values encodeChatResponse never makes to JSON.stringify', () => {
    const out = encodeChatResponse(RESULT, { id: 'x', model: 'm' });
    const odd = [
      { ...out, created: Number.NaN },
      { ...out, usage: { ...out.usage, prompt_tokens: Number.POSITIVE_INFINITY } },
      { ...out, usage: undefined },
      { ...out, usage: { ...out.usage, completion_tokens: undefined } },
      { ...out, choices: [{ ...out.choices[0]!, finish_reason: undefined as unknown as 'stop' }] },
      { ...out, choices: [{ ...out.choices[0]!, logprobs: undefined as unknown as null }] },
      { ...out, system_fingerprint: 7 as unknown as string },
    ];
    for (const value of odd) expect(stringifyChatCompletion(value)).toBe(JSON.stringify(value));
  });
});
