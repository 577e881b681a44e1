import { describe, expect, it } from 'vitest';
import { createFixtureDecoder } from '../../../test/helpers/stream-decoder.js';
import type { StreamPart } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { createSseParser } from '../shared/sse-parser.js';
import type { UpstreamTarget } from '../spec.js';
import { createGeminiStreamDecoder } from './gemini-stream-decoder.js';

const target: UpstreamTarget = {
  provider: 'google',
  type: 'gemini',
  baseUrl: 'https://generativelanguage.googleapis.com',
  model: 'gemini-2.5-flash',
};

const { decodeFixture } = createFixtureDecoder({
  fixtures: new URL('./__fixtures__/', import.meta.url),
  createParser: createSseParser,
  createDecoder: () => createGeminiStreamDecoder(target),
});

function text(parts: StreamPart[]): string {
  let out = '';
  for (const part of parts) if (part.type === 'text-delta') out += part.text;
  return out;
}

describe('createGeminiStreamDecoder', () => {
  it('decodes a recorded text stream: start, deltas, finish, then the last usage once', () => {
    const { parts, done } = decodeFixture('stream-text-max-tokens.sse');
    expect(done).toBe(true);
    expect(parts[0]).toEqual({
      type: 'start',
      id: 'qS77aMCqBu6mvr0PsJiykAw',
      model: 'gemini-2.5-flash',
      created: 0,
    });
    expect(parts.filter((part) => part.type === 'text-delta')).toHaveLength(3);
    expect(text(parts)).toContain('Rayleigh Scattering');
    expect(text(parts).endsWith('tiny particles. ☀️🌍')).toBe(true);
    expect(parts.slice(-2)).toEqual([
      { type: 'finish', choice: 0, finishReason: { unified: 'length', raw: 'MAX_TOKENS' } },
      // The last chunk's running counts: 153 answer + 45 thinking tokens.
      { type: 'usage', usage: { inputTokens: 7, outputTokens: 198, reasoningTokens: 45 } },
    ]);
    expect(parts.filter((part) => part.type === 'usage')).toHaveLength(1);
  });

  it('passes thoughts as reasoning and each whole function call as one tool-call delta', () => {
    const { parts, done } = decodeFixture('stream-function-calls-thinking.sse');
    expect(done).toBe(true);
    const [, reasoning, first, second, finish, usage] = parts;
    expect(reasoning).toEqual({
      type: 'reasoning-delta',
      choice: 0,
      text: '**Planning the division**\n\nI will call customDivide twice.',
    });
    expect(first).toMatchObject({
      type: 'tool-call-delta',
      choice: 0,
      index: 0,
      name: 'customDivide',
      argumentsDelta: '{"denominator":2,"numerator":10}',
    });
    expect((first as { id: string }).id).toMatch(/^call_ctSfaIzLC43Qz7IPzsvdkAg_0__thought__CiQBVKhc7g/);
    expect(second).toEqual({
      type: 'tool-call-delta',
      choice: 0,
      index: 1,
      id: 'call_ctSfaIzLC43Qz7IPzsvdkAg_1',
      name: 'customDivide',
      argumentsDelta: '{"denominator":5,"numerator":10}',
    });
    expect(finish).toEqual({
      type: 'finish',
      choice: 0,
      finishReason: { unified: 'tool_calls', raw: 'STOP' },
    });
    expect(usage).toEqual({
      type: 'usage',
      usage: { inputTokens: 293, cachedInputTokens: 256, outputTokens: 79, reasoningTokens: 59 },
    });
    expect(parts).toHaveLength(6);
  });

  it('leaves a stream without a finish reason not done, with the usage so far', () => {
    const { parts, done } = decodeFixture('stream-cut.sse');
    expect(done).toBe(false);
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
    expect(parts.at(-1)).toEqual({
      type: 'usage',
      usage: { inputTokens: 7, outputTokens: 147, reasoningTokens: 45 },
    });
  });

  it('turns an in-band error event into an error part', () => {
    const { parts, done } = decodeFixture('stream-error.sse');
    expect(done).toBe(false);
    const error = parts.find((part) => part.type === 'error');
    expect(error).toBeDefined();
    if (error?.type !== 'error') throw new Error('expected an error part');
    expect(error.error).toBeInstanceOf(GatewayError);
    expect(error.error).toMatchObject({ code: 'MODEL_ERROR', retryable: true });
    expect(error.error.details).toMatchObject({ upstream_status: 500, upstream_code: 'INTERNAL' });
  });

  it('finishes a blocked prompt with the content filter', () => {
    const { parts, done } = decodeFixture('stream-prompt-blocked.sse');
    expect(done).toBe(true);
    expect(parts).toEqual([
      { type: 'start', id: 'Zx9AaKXKMPv1z7IP3JWl-AU', model: 'gemini-2.5-flash', created: 0 },
      { type: 'finish', choice: 0, finishReason: { unified: 'content_filter', raw: 'PROHIBITED_CONTENT' } },
      { type: 'usage', usage: { inputTokens: 12, outputTokens: 0 } },
    ]);
  });

  it('is done only when every candidate has finished, and reports a later usage change', () => {
    const decoder = createGeminiStreamDecoder(target);
    const event = (value: unknown) => ({ data: JSON.stringify(value) });
    decoder.push(
      event({
        candidates: [
          { index: 0, content: { parts: [{ text: 'A' }] } },
          { index: 1, content: { parts: [{ text: 'B' }] } },
        ],
      }),
    );
    const first = decoder.push(event({ candidates: [{ index: 0, finishReason: 'STOP' }] }));
    expect(first).toEqual([{ type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'STOP' } }]);
    expect(decoder.done).toBe(false);
    const second = decoder.push(
      event({
        candidates: [{ index: 1, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 },
      }),
    );
    expect(decoder.done).toBe(true);
    expect(second.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 3, outputTokens: 2 } });
    expect(decoder.push(event({ usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4 } }))).toEqual([
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
    ]);
    expect(decoder.end()).toEqual([]);
  });

  it('emits a signed empty text part as a signature-only reasoning delta', () => {
    const decoder = createGeminiStreamDecoder(target);
    const parts = decoder.push({
      data: JSON.stringify({
        candidates: [{ content: { parts: [{ text: '', thoughtSignature: 'SIG' }] }, finishReason: 'STOP' }],
      }),
    });
    expect(parts.slice(1, 3)).toEqual([
      { type: 'reasoning-delta', choice: 0, text: '', signature: 'gemini:SIG' },
      { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'STOP' } },
    ]);
  });

  it('rejects data that is not a JSON object as INVALID_RESPONSE', () => {
    const decoder = createGeminiStreamDecoder(target);
    expect(() => decoder.push({ data: '{"candidates": [' })).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
    expect(() => decoder.push({ data: '[1]' })).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
  });
});
