import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { createNdjsonParser } from '../shared/ndjson-parser.js';
import type { UpstreamTarget } from '../spec.js';
import { createOllamaStreamDecoder } from './ollama-stream-decoder.js';

const target: UpstreamTarget = {
  provider: 'ollama',
  type: 'ollama',
  baseUrl: 'http://127.0.0.1:11434',
  model: 'llama3.2',
};

function fixtureBytes(name: string): Uint8Array {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url));
}

interface Decoded {
  parts: StreamPart[];
  done: boolean;
}

/** Frames the bytes with the real NDJSON parser and decodes them, as the executor does. */
function decode(chunks: Uint8Array[]): Decoded {
  const parser = createNdjsonParser();
  const decoder = createOllamaStreamDecoder(target);
  const parts: StreamPart[] = [];
  for (const chunk of chunks) for (const event of parser.push(chunk)) parts.push(...decoder.push(event));
  for (const event of parser.end().events) parts.push(...decoder.push(event));
  parts.push(...decoder.end());
  return { parts, done: decoder.done };
}

/** The same parts whatever the chunk boundaries: every single split, and byte by byte. */
function decodeFixture(name: string): Decoded {
  const bytes = fixtureBytes(name);
  const whole = decode([bytes]);
  for (let i = 1; i < bytes.length; i++) {
    const split = decode([bytes.subarray(0, i), bytes.subarray(i)]);
    if (JSON.stringify(split) !== JSON.stringify(whole)) expect(split, `split at ${i}`).toEqual(whole);
  }
  expect(decode(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)))).toEqual(whole);
  return whole;
}

/** Error parts carry a GatewayError; compare what matters of it. */
function errorPart(parts: StreamPart[]): GatewayError {
  const part = parts.find((p) => p.type === 'error');
  if (part?.type !== 'error') throw new Error('no error part');
  return part.error;
}

describe('createOllamaStreamDecoder', () => {
  it('decodes the reference stream: start, text deltas, finish, usage, done', () => {
    expect(decodeFixture('stream-basic.ndjson')).toEqual({
      parts: [
        { type: 'start', id: 'ollama-1691164339385', model: 'llama3.2', created: 1691164339 },
        { type: 'text-delta', choice: 0, text: 'The' },
        { type: 'text-delta', choice: 0, text: ' sky is blue ☀️ — ' },
        { type: 'text-delta', choice: 0, text: 'Rayleigh 散乱.' },
        { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: 'stop' } },
        { type: 'usage', usage: { inputTokens: 26, outputTokens: 282 } },
      ],
      done: true,
    });
  });

  it('passes each whole tool call on as one delta with id, name and full arguments', () => {
    expect(decodeFixture('stream-tool-calls.ndjson').parts).toEqual([
      {
        type: 'start',
        id: `ollama-${Date.parse('2025-07-07T20:22:19.184789Z')}`,
        model: 'llama3.2',
        created: 1751919739,
      },
      {
        type: 'tool-call-delta',
        choice: 0,
        index: 0,
        id: 'call_0',
        name: 'get_weather',
        argumentsDelta: '{"city":"Tokyo"}',
      },
      {
        type: 'tool-call-delta',
        choice: 0,
        index: 1,
        id: 'call_1',
        name: 'get_time',
        argumentsDelta: '{"tz":"Asia/Tokyo"}',
      },
      { type: 'finish', choice: 0, finishReason: { unified: 'tool_calls', raw: 'tool_calls' } },
      { type: 'usage', usage: { inputTokens: 169, outputTokens: 15 } },
    ]);
  });

  it('turns thinking into reasoning deltas and reads content on the done line', () => {
    expect(decodeFixture('stream-thinking.ndjson')).toEqual({
      parts: [
        {
          type: 'start',
          id: `ollama-${Date.parse('2025-10-26T17:15:24.097767Z')}`,
          model: 'qwen3',
          created: 1761498924,
        },
        { type: 'reasoning-delta', choice: 0, text: '17 × 23' },
        { type: 'reasoning-delta', choice: 0, text: ' = 391.' },
        { type: 'text-delta', choice: 0, text: '391' },
        { type: 'text-delta', choice: 0, text: '.' },
        { type: 'finish', choice: 0, finishReason: { unified: 'length', raw: 'length' } },
        { type: 'usage', usage: { inputTokens: 18, outputTokens: 9 } },
      ],
      done: true,
    });
  });

  it('turns an in-band error line into an error part', () => {
    const { parts, done } = decodeFixture('stream-error.ndjson');
    expect(parts.map((p) => p.type)).toEqual(['start', 'text-delta', 'text-delta', 'error']);
    expect(done).toBe(false);
    const error = errorPart(parts);
    expect(error.code).toBe('MODEL_ERROR');
    expect(error.details).toMatchObject({
      provider: 'ollama',
      upstream_message: 'an error was encountered while running the model',
    });
  });

  it('leaves done false when the stream stops before the done line (a cut)', () => {
    const { parts, done } = decodeFixture('stream-cut.ndjson');
    expect(done).toBe(false);
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    expect(parts.filter((p) => p.type === 'text-delta')).toHaveLength(2);
  });

  it('sends no usage part when the server reported no counts', () => {
    const decoder = createOllamaStreamDecoder(target);
    const parts = decoder.push({ data: '{"model":"m","message":{"content":""},"done":true}' });
    expect(parts).toEqual([
      { type: 'start', id: 'ollama-0', model: 'm', created: 0 },
      { type: 'finish', choice: 0, finishReason: { unified: 'stop', raw: null } },
    ]);
    expect(decoder.done).toBe(true);
  });

  it('throws INVALID_RESPONSE for a line that is not a JSON object, such as one cut short', () => {
    const decoder = createOllamaStreamDecoder(target);
    for (const data of ['{"model":"m","message":{"content":"tru', '[1]', 'null']) {
      expect(() => decoder.push({ data }), data).toThrow(GatewayError);
      try {
        decoder.push({ data });
      } catch (error) {
        expect((error as GatewayError).code).toBe('INVALID_RESPONSE');
      }
    }
  });
});
