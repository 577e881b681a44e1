import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../spec.js';
import { createSseParser } from './sse-parser.js';

/** Exercises every rule at once: BOM, comments, all three line ends, multi-byte text, fields. */
const SAMPLE =
  '\uFEFF: a comment line\n' +
  'data: héllo wörld 🌍\r\n' +
  'data:second line\r\n' +
  '\r\n' +
  'event: update\r' +
  'id: 42\r' +
  'data:  two spaces\r' +
  '\r' +
  'retry: 3000\n' +
  'data\n' +
  '\n' +
  'event: no-data\n' +
  'unknown: field\n' +
  '\n' +
  'data: 日本語テキスト\n' +
  'id\n' +
  'data: after id reset\n' +
  '\n' +
  ':keepalive\r\n' +
  'data: x\r\n' +
  'data: y\r\n' +
  '\r\n';

const EXPECTED: StreamEvent[] = [
  { data: 'héllo wörld 🌍\nsecond line' },
  { data: ' two spaces', event: 'update', id: '42' },
  { data: '', id: '42' },
  { data: '日本語テキスト\nafter id reset' },
  { data: 'x\ny' },
];

const SAMPLE_BYTES = new TextEncoder().encode(SAMPLE);

function parseInChunks(chunks: (Uint8Array | string)[]): { events: StreamEvent[]; trailing: boolean } {
  const parser = createSseParser();
  const events: StreamEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  const end = parser.end();
  events.push(...end.events);
  return { events, trailing: end.trailing };
}

describe('createSseParser', () => {
  it('parses the sample in one chunk, bytes or text', () => {
    expect(parseInChunks([SAMPLE_BYTES])).toEqual({ events: EXPECTED, trailing: false });
    expect(parseInChunks([SAMPLE])).toEqual({ events: EXPECTED, trailing: false });
  });

  it('gives the same events when the bytes are split at any one position', () => {
    for (let i = 0; i <= SAMPLE_BYTES.length; i++) {
      const result = parseInChunks([SAMPLE_BYTES.subarray(0, i), SAMPLE_BYTES.subarray(i)]);
      expect(result, `split at byte ${i}`).toEqual({ events: EXPECTED, trailing: false });
    }
  });

  it('gives the same events when the bytes are split at any two positions', () => {
    const n = SAMPLE_BYTES.length;
    for (let i = 0; i <= n; i++) {
      for (let j = i; j <= n; j++) {
        const result = parseInChunks([
          SAMPLE_BYTES.subarray(0, i),
          SAMPLE_BYTES.subarray(i, j),
          SAMPLE_BYTES.subarray(j),
        ]);
        if (result.trailing || result.events.length !== EXPECTED.length) {
          expect(result, `split at bytes ${i} and ${j}`).toEqual({ events: EXPECTED, trailing: false });
        }
      }
    }
    // The loop above only asserts on a mismatch to stay fast; spot-check one full comparison.
    expect(
      parseInChunks([SAMPLE_BYTES.subarray(0, 7), SAMPLE_BYTES.subarray(7, 40), SAMPLE_BYTES.subarray(40)]),
    ).toEqual({ events: EXPECTED, trailing: false });
  });

  it('gives the same events byte by byte and character by character', () => {
    const bytes = Array.from(SAMPLE_BYTES, (_, i) => SAMPLE_BYTES.subarray(i, i + 1));
    expect(parseInChunks(bytes)).toEqual({ events: EXPECTED, trailing: false });
    expect(parseInChunks(Array.from(SAMPLE))).toEqual({ events: EXPECTED, trailing: false });
  });

  it('treats a CR ending one chunk and an LF starting the next as one line end', () => {
    const parser = createSseParser();
    expect(parser.push('data: a\r')).toEqual([]);
    // Were the LF a second line end, it would be a blank line dispatching "a" alone.
    expect(parser.push('\ndata: b\r\n')).toEqual([]);
    expect(parser.push('\r\n')).toEqual([{ data: 'a\nb' }]);
  });

  it('dispatches on a lone CR blank line and on an LF blank line after CR', () => {
    const parser = createSseParser();
    expect(parser.push('data: a\r\r')).toEqual([{ data: 'a' }]);
    expect(parser.push('data: b\r')).toEqual([]);
    expect(parser.push('\r')).toEqual([{ data: 'b' }]);
    expect(parser.push('data: c\n\n')).toEqual([{ data: 'c' }]);
  });

  it('removes exactly one space after the colon', () => {
    const parser = createSseParser();
    expect(parser.push('data:no-space\n\ndata: one\n\ndata:   three\n\n')).toEqual([
      { data: 'no-space' },
      { data: 'one' },
      { data: '  three' },
    ]);
  });

  it('keeps colons in the value and ignores retry and unknown fields', () => {
    const parser = createSseParser();
    expect(parser.push('retry: 10\nfoo: bar\ndata: {"a":"b:c"}\n\n')).toEqual([{ data: '{"a":"b:c"}' }]);
  });

  it('does not dispatch an event without data lines and does not carry its type over', () => {
    const parser = createSseParser();
    expect(parser.push('event: ping\n\ndata: hi\n\n')).toEqual([{ data: 'hi' }]);
  });

  it('ignores an id containing NUL', () => {
    const parser = createSseParser();
    expect(parser.push('id: 1\ndata: a\n\nid: x\u0000y\ndata: b\n\n')).toEqual([
      { data: 'a', id: '1' },
      { data: 'b', id: '1' },
    ]);
  });

  it('strips a BOM only at the very start', () => {
    const parser = createSseParser();
    expect(parser.push('\uFEFFdata: a\n\n')).toEqual([{ data: 'a' }]);
    expect(parser.push('\uFEFFdata: b\n\n')).toEqual([]);
  });

  it('parses an OpenAI-style stream with the [DONE] sentinel', () => {
    const parser = createSseParser();
    const events = parser.push('data: {"id":"1"}\n\ndata: [DONE]\n\n');
    expect(events).toEqual([{ data: '{"id":"1"}' }, { data: '[DONE]' }]);
    expect(parser.end()).toEqual({ events: [], trailing: false });
  });

  describe('end()', () => {
    it('reports a cut in the middle of a line and discards it', () => {
      const parser = createSseParser();
      parser.push('data: {"a":1}\n\ndata: {"b"');
      expect(parser.end()).toEqual({ events: [], trailing: true });
    });

    it('reports an event whose closing blank line never came', () => {
      const parser = createSseParser();
      expect(parser.push('data: [DONE]\n')).toEqual([]);
      expect(parser.end()).toEqual({ events: [], trailing: true });
    });

    it('reports a cut inside a multi-byte character', () => {
      const parser = createSseParser();
      const bytes = new TextEncoder().encode('data: 🌍\n\n');
      parser.push(bytes.subarray(0, 8));
      expect(parser.end().trailing).toBe(true);
    });

    it('reports a pending event field', () => {
      const parser = createSseParser();
      parser.push('event: x\n');
      expect(parser.end().trailing).toBe(true);
    });

    it('is clean after a complete stream, including after comments', () => {
      const parser = createSseParser();
      parser.push('data: a\n\n: bye\n');
      expect(parser.end()).toEqual({ events: [], trailing: false });
    });
  });

  it('handles a large stream of many small events across arbitrary chunking', () => {
    let text = '';
    const expected: StreamEvent[] = [];
    for (let i = 0; i < 2000; i++) {
      const data = `{"i":${i},"t":"ä€𝄞"}`;
      text += `data: ${data}\n\n`;
      expected.push({ data });
    }
    const bytes = new TextEncoder().encode(text);
    const chunks: Uint8Array[] = [];
    for (let pos = 0, size = 1; pos < bytes.length; pos += size, size = (size * 7 + 3) % 97) {
      chunks.push(bytes.subarray(pos, pos + size));
    }
    expect(parseInChunks(chunks)).toEqual({ events: expected, trailing: false });
  });
});
