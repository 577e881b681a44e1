import { describe, expect, it } from 'vitest';
import type { ChatResult } from '../../../core/chat.js';
import { chatCompletionJson, encodeChatResponse, stringifyChatCompletion } from './encode-chat-response.js';

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

describe('chatCompletionJson', () => {
  /** A deterministic pseudo-random source, so a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return state / 2 ** 32;
    };
  }
  const next = random(11);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const maybe = <T>(value: T): T | undefined => (next() < 0.5 ? value : undefined);
  const SAMPLES = [
    '',
    'ok',
    'say "hi"\\',
    '\n\t\u0000\u001f',
    '\u2028 é → 😀',
    '\ud800',
    'x\udfffy',
    '</script>',
  ];
  const text = () => {
    let out = '';
    for (let k = Math.floor(next() * 3); k >= 0; k--) out += pick(SAMPLES);
    return out;
  };
  const count = () => pick([0, 1, 12, 1_000_000, 2 ** 53 - 1, 0.5, -3]);
  const reasons = [
    { unified: 'stop', raw: 'stop' },
    { unified: 'length', raw: 'MAX_TOKENS' },
    { unified: 'tool_calls', raw: 'tool_use' },
    { unified: 'content_filter', raw: 'SAFETY' },
    { unified: 'other', raw: 'pause_turn' },
    { unified: 'error', raw: null },
  ] as const;

  function generated(): ChatResult {
    const choices: ChatResult['choices'] = [];
    for (let i = Math.floor(next() * 3); i > 0; i--) {
      const content: ChatResult['choices'][number]['message']['content'] = [];
      for (let k = Math.floor(next() * 4); k > 0; k--) {
        content.push(
          next() < 0.7 ? { type: 'text', text: text() } : { type: 'thinking', text: text(), signature: 's' },
        );
      }
      const message: ChatResult['choices'][number]['message'] = { role: 'assistant', content };
      const refusal = maybe(text());
      if (refusal !== undefined) message.refusal = refusal;
      if (next() < 0.3) {
        message.toolCalls = Array.from({ length: Math.floor(next() * 3) }, (_, k) => ({
          id: `call_${k}${text()}`,
          name: 'f',
          arguments: text(),
        }));
      }
      const choice: ChatResult['choices'][number] = {
        index: choices.length,
        message,
        finishReason: pick(reasons),
      };
      if (next() < 0.3) {
        choice.logprobs = [
          { token: text(), logprob: -0.25, topLogprobs: [{ token: text(), logprob: -1e-7 }] },
        ];
      }
      choices.push(choice);
    }
    const usage: ChatResult['usage'] = { inputTokens: count(), outputTokens: count() };
    const cached = maybe(count());
    if (cached !== undefined) usage.cachedInputTokens = cached;
    const written = maybe(count());
    if (written !== undefined) usage.cacheWriteTokens = written;
    const reasoning = maybe(count());
    if (reasoning !== undefined) usage.reasoningTokens = reasoning;
    const result: ChatResult = { id: 'upstream', model: 'm', created: pick([1727000000, 1]), choices, usage };
    const fingerprint = maybe(text());
    if (fingerprint !== undefined) result.systemFingerprint = fingerprint;
    return result;
  }

  it('writes exactly what JSON.stringify writes of encodeChatResponse, for generated results', () => {
    for (let n = 0; n < 5_000; n++) {
      const result = generated();
      const opts = { id: `chatcmpl-${text()}`, model: text() };
      expect(chatCompletionJson(result, opts)).toBe(JSON.stringify(encodeChatResponse(result, opts)));
    }
    for (const result of [RESULT, { ...RESULT, choices: [] }]) {
      const opts = { id: 'chatcmpl-01a2150a-2666-7000-a39a-7d33909fd8c1', model: 'gpt-4o-mini' };
      expect(chatCompletionJson(result, opts)).toBe(JSON.stringify(encodeChatResponse(result, opts)));
    }
  });

  it('stamps a result without a timestamp with the time now, as encodeChatResponse does', () => {
    const before = Math.floor(Date.now() / 1000);
    const out = JSON.parse(chatCompletionJson({ ...RESULT, created: 0 }, { id: 'x', model: 'm' })) as {
      created: number;
    };
    expect(out.created).toBeGreaterThanOrEqual(before);
    expect(out.created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('writes what JSON.stringify writes for values of types the canonical model does not allow', () => {
    const choice = RESULT.choices[0]!;
    const odd: ChatResult[] = [
      { ...RESULT, created: Number.POSITIVE_INFINITY },
      { ...RESULT, usage: { inputTokens: Number.NaN, outputTokens: 1 } },
      { ...RESULT, usage: { inputTokens: 1, outputTokens: Number.NEGATIVE_INFINITY } },
      { ...RESULT, usage: { inputTokens: Number.MAX_VALUE, outputTokens: Number.MAX_VALUE } },
      { ...RESULT, usage: { inputTokens: '5' as unknown as number, outputTokens: 1 } },
      { ...RESULT, usage: { inputTokens: 1, outputTokens: 2, cachedInputTokens: Number.NaN } },
      { ...RESULT, systemFingerprint: 7 as unknown as string },
      { ...RESULT, choices: [{ ...choice, index: Number.NaN }] },
      {
        ...RESULT,
        choices: [{ ...choice, message: { ...choice.message, refusal: 3 as unknown as string } }],
      },
      {
        ...RESULT,
        choices: [
          {
            ...choice,
            message: { role: 'assistant', content: [{ type: 'text', text: 4 as unknown as string }] },
          },
        ],
      },
    ];
    for (const result of odd) {
      const opts = { id: 'x', model: 'm' };
      expect(chatCompletionJson(result, opts)).toBe(JSON.stringify(encodeChatResponse(result, opts)));
    }
  });
});
