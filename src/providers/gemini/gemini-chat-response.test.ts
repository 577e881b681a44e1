import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';
import { buildGeminiChatRequest } from './gemini-chat-request.js';
import { parseGeminiChatResponse } from './gemini-chat-response.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { mapGeminiUsage } from './map-gemini-usage.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

const target: UpstreamTarget = {
  provider: 'google',
  type: 'gemini',
  baseUrl: 'https://generativelanguage.googleapis.com',
  model: 'gemini-2.5-flash',
};

const SIGNATURE = (
  fixture('response-function-call.json') as {
    candidates: { content: { parts: { thoughtSignature: string }[] } }[];
  }
).candidates[0]!.content.parts[0]!.thoughtSignature;

describe('parseGeminiChatResponse', () => {
  it('reads thoughts, signed text and usage with cached and thinking tokens', () => {
    expect(parseGeminiChatResponse(fixture('response-thinking-cached.json'), target)).toEqual({
      id: 'c9SfaOPLBPbUz7IPtd_K4Ak',
      model: 'gemini-2.5-flash',
      created: 0,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: [
              {
                type: 'thinking',
                text: '**Weighing the question**\n\nThe user wants a one-line answer about Rayleigh scattering.',
              },
              {
                type: 'thinking',
                text: '',
                signature: 'gemini:CiQBVKhc7mVR0ppWorGqvP5ZTbs1m3HX74l+NLAID7CdB3kyxhY=',
              },
              {
                type: 'text',
                text: 'The sky is blue because air molecules scatter short (blue) wavelengths of sunlight more than long ones.',
              },
            ],
          },
          finishReason: { unified: 'stop', raw: 'STOP' },
        },
      ],
      // prompt 2104 includes the 2048 cached; output = 18 answer + 102 thinking.
      usage: { inputTokens: 2104, cachedInputTokens: 2048, outputTokens: 120, reasoningTokens: 102 },
    });
  });

  it('turns function calls into tool calls with a stable id that carries the signature', () => {
    const result = parseGeminiChatResponse(fixture('response-function-call.json'), target);
    expect(result.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: [],
        toolCalls: [
          {
            id: `call_iC77aIDWMcDDvr0PoK6JkAY_0__thought__${SIGNATURE}`,
            name: 'concatStringFunction',
            arguments: '{"firstString":"hello","secondString":"world"}',
          },
        ],
      },
      finishReason: { unified: 'tool_calls', raw: 'STOP' },
    });
    expect(result.usage).toEqual({ inputTokens: 65, outputTokens: 81, reasoningTokens: 59 });
  });

  it('sends the signature back on the function call in the next request', () => {
    const first = parseGeminiChatResponse(fixture('response-function-call.json'), target);
    const call = first.choices[0]!.message.toolCalls![0]!;
    const next: ChatRequest = {
      model: 'm',
      stream: false,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'put hello and world together' }] },
        first.choices[0]!.message,
        { role: 'tool', toolCallId: call.id, content: [{ type: 'text', text: '"hello world"' }] },
      ],
    };
    const body = JSON.parse(buildGeminiChatRequest(next, target).body ?? '');
    expect(body.contents.slice(1)).toEqual([
      {
        role: 'model',
        parts: [
          {
            functionCall: {
              name: 'concatStringFunction',
              args: { firstString: 'hello', secondString: 'world' },
            },
            thoughtSignature: SIGNATURE,
          },
        ],
      },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'concatStringFunction', response: { output: 'hello world' } } }],
      },
    ]);
  });

  it('answers a blocked prompt with an empty content-filtered choice', () => {
    expect(parseGeminiChatResponse(fixture('response-prompt-blocked.json'), target)).toEqual({
      id: 'Zx9AaKXKMPv1z7IP3JWl-AU',
      model: 'gemini-2.5-flash',
      created: 0,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: [] },
          finishReason: { unified: 'content_filter', raw: 'SAFETY' },
        },
      ],
      usage: { inputTokens: 12, outputTokens: 0 },
    });
  });

  it('maps a safety stop to the content filter', () => {
    const result = parseGeminiChatResponse(fixture('response-safety.json'), target);
    expect(result.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: [] },
        finishReason: { unified: 'content_filter', raw: 'SAFETY' },
      },
    ]);
  });

  it('reads several candidates and their logprobs', () => {
    const result = parseGeminiChatResponse(fixture('response-candidates-logprobs.json'), target);
    expect(result.model).toBe('gemini-2.0-flash');
    expect(result.choices.map((choice) => [choice.index, choice.finishReason.unified])).toEqual([
      [0, 'stop'],
      [1, 'length'],
    ]);
    expect(result.choices[0]!.logprobs).toEqual([
      {
        token: 'Paris',
        logprob: -0.0123,
        topLogprobs: [
          { token: 'Paris', logprob: -0.0123 },
          { token: 'The', logprob: -4.75 },
        ],
      },
    ]);
    expect(result.choices[1]!.logprobs).toBeUndefined();
  });

  it('keeps generated images and reports the upstream creation time when given', () => {
    const result = parseGeminiChatResponse(
      {
        createTime: '2025-06-01T12:00:00Z',
        candidates: [
          {
            content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'iVBOR' } }] },
            finishReason: 'STOP',
          },
        ],
      },
      target,
    );
    expect(result.created).toBe(Date.UTC(2025, 5, 1, 12) / 1000);
    expect(result.choices[0]!.message.content).toEqual([
      { type: 'image', data: 'iVBOR', mediaType: 'image/png' },
    ]);
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, estimated: true });
  });

  it.each([
    ['a string', '"x"'],
    ['no candidates and no block reason', { usageMetadata: { promptTokenCount: 1 } }],
    ['parts that are not a list', { candidates: [{ content: { parts: 'x' } }] }],
  ])('rejects %s as INVALID_RESPONSE', (_name, body) => {
    expect(() => parseGeminiChatResponse(body, target)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE', retryable: true }),
    );
  });

  it('classifies an error body that came with a 200', () => {
    try {
      parseGeminiChatResponse({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }, target);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('MODEL_UNAVAILABLE');
    }
  });
});

describe('mapGeminiFinishReason', () => {
  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool_calls'],
    ['MAX_TOKENS', false, 'length'],
    ['SAFETY', false, 'content_filter'],
    ['RECITATION', false, 'content_filter'],
    ['BLOCKLIST', false, 'content_filter'],
    ['PROHIBITED_CONTENT', false, 'content_filter'],
    ['SPII', false, 'content_filter'],
    ['IMAGE_SAFETY', false, 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', true, 'error'],
    ['LANGUAGE', false, 'other'],
    ['OTHER', false, 'other'],
    ['SOMETHING_NEW', false, 'other'],
  ] as const)('%s (calls: %s) → %s', (raw, calls, unified) => {
    expect(mapGeminiFinishReason(raw, calls)).toEqual({ unified, raw });
  });

  it('keeps a missing reason as null', () => {
    expect(mapGeminiFinishReason(undefined, false)).toEqual({ unified: 'other', raw: null });
  });
});

describe('mapGeminiUsage', () => {
  it('adds tool-use prompt tokens to the input', () => {
    expect(
      mapGeminiUsage({
        promptTokenCount: 10,
        toolUsePromptTokenCount: 5,
        candidatesTokenCount: 3,
        totalTokenCount: 18,
      }),
    ).toEqual({ inputTokens: 15, outputTokens: 3 });
  });

  it('treats metadata without counts as unreported', () => {
    expect(mapGeminiUsage({ totalTokenCount: 0 })).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      estimated: true,
    });
    expect(mapGeminiUsage(undefined)).toEqual({ inputTokens: 0, outputTokens: 0, estimated: true });
  });
});
