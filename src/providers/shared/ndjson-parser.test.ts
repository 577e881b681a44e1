import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../spec.js';
import { createNdjsonParser } from './ndjson-parser.js';

const SAMPLE =
  '{"model":"llama3","message":{"content":"héllo 🌍"},"done":false}\n' +
  '\n' +
  '{"message":{"content":"日本語"},"done":false}\r\n' +
  '   \n' +
  '{"done":true,"eval_count":3}\n';

const EXPECTED: StreamEvent[] = [
  { data: '{"model":"llama3","message":{"content":"héllo 🌍"},"done":false}' },
  { data: '{"message":{"content":"日本語"},"done":false}' },
  { data: '{"done":true,"eval_count":3}' },
];

const SAMPLE_BYTES = new TextEncoder().encode(SAMPLE);

function parseInChunks(chunks: (Uint8Array | string)[]): { events: StreamEvent[]; trailing: boolean } {
  const parser = createNdjsonParser();
  const events: StreamEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  const end = parser.end();
  events.push(...end.events);
  return { events, trailing: end.trailing };
}

describe('createNdjsonParser', () => {
  it('yields one event per non-blank line', () => {
    expect(parseInChunks([SAMPLE])).toEqual({ events: EXPECTED, trailing: false });
    expect(parseInChunks([SAMPLE_BYTES])).toEqual({ events: EXPECTED, trailing: false });
  });

  it('gives the same events when the bytes are split at any position', () => {
    for (let i = 0; i <= SAMPLE_BYTES.length; i++) {
      const result = parseInChunks([SAMPLE_BYTES.subarray(0, i), SAMPLE_BYTES.subarray(i)]);
      expect(result, `split at byte ${i}`).toEqual({ events: EXPECTED, trailing: false });
    }
  });

  it('gives the same events byte by byte', () => {
    const bytes = Array.from(SAMPLE_BYTES, (_, i) => SAMPLE_BYTES.subarray(i, i + 1));
    expect(parseInChunks(bytes)).toEqual({ events: EXPECTED, trailing: false });
  });

  it('hands over an unterminated last line and reports it as trailing', () => {
    expect(parseInChunks(['{"a":1}\n{"b":2}'])).toEqual({
      events: [{ data: '{"a":1}' }, { data: '{"b":2}' }],
      trailing: true,
    });
  });

  it('keeps whitespace inside a line', () => {
    expect(parseInChunks([' {"a": 1} \n'])).toEqual({ events: [{ data: ' {"a": 1} ' }], trailing: false });
  });
});
