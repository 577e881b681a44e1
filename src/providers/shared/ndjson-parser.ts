/**
 * @module providers/shared/ndjson-parser
 * The newline-delimited JSON framer (Ollama and similar): every non-blank line becomes one
 * `{data: line}` event; the JSON itself is parsed by the provider's stream decoder. Lines end
 * with LF or CRLF. Bytes are decoded with a streaming TextDecoder so a chunk may end inside a
 * multi-byte character.
 */

import type { StreamEvent } from '../spec.js';
import type { StreamParser } from './stream-parser.js';

const CR = 13;
const SPACE = 32;

/** Trims a CR before the LF; a line of only whitespace yields undefined. */
function lineEvent(input: string, start: number, end: number): StreamEvent | undefined {
  if (end > start && input.charCodeAt(end - 1) === CR) end--;
  if (end === start) return undefined;
  // Only a line that starts or ends with whitespace can be blank; skip the trim otherwise.
  if (input.charCodeAt(start) <= SPACE || input.charCodeAt(end - 1) <= SPACE) {
    const line = input.slice(start, end);
    return line.trim().length === 0 ? undefined : { data: line };
  }
  return { data: input.slice(start, end) };
}

export function createNdjsonParser(): StreamParser {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';

  return {
    push(chunk: Uint8Array | string): StreamEvent[] {
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (text.length === 0) return [];
      const input = buffer.length === 0 ? text : buffer + text;
      const out: StreamEvent[] = [];
      let pos = 0;
      let lf = input.indexOf('\n');
      while (lf !== -1) {
        const event = lineEvent(input, pos, lf);
        if (event !== undefined) out.push(event);
        pos = lf + 1;
        lf = input.indexOf('\n', pos);
      }
      buffer = pos === 0 ? input : input.slice(pos);
      return out;
    },

    end(): { events: StreamEvent[]; trailing: boolean } {
      const input = buffer + decoder.decode();
      buffer = '';
      // A JSON line is self-delimiting, so an unterminated last line is still handed over; the
      // decoder rejects it if it was cut. `trailing` says the stream did not end on a line end.
      const event = lineEvent(input, 0, input.length);
      return event === undefined ? { events: [], trailing: false } : { events: [event], trailing: true };
    },
  };
}
