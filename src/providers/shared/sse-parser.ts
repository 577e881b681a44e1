/**
 * @module providers/shared/sse-parser
 * The one server-sent-events parser every provider uses. It follows the WHATWG EventSource
 * "event stream interpretation" rules: LF, CR and CRLF line ends (also when a CR ends one chunk
 * and its LF starts the next), `data:` lines joined with `\n`, one optional space after the
 * colon, comments, `event:` and `id:`; `retry:` and unknown fields are ignored; an event is
 * dispatched on a blank line and only if it had data. Bytes are decoded with a streaming
 * TextDecoder, so a chunk may end inside a multi-byte character. Lines are found with
 * `indexOf`, never a regex: this runs for every chunk of every streamed response.
 */

import type { StreamEvent } from '../spec.js';
import type { StreamParser } from './stream-parser.js';

const LF = 10;
const COLON = 58;
const SPACE = 32;
const BOM = 0xfeff;

export function createSseParser(): StreamParser {
  const decoder = new TextDecoder('utf-8');
  /** The unfinished last line of what was pushed so far. */
  let buffer = '';
  /** The previous chunk ended with CR: an LF opening the next chunk belongs to that line end. */
  let skipLeadingLf = false;
  let atStart = true;
  let data = '';
  let hasData = false;
  let eventType = '';
  /** Per WHATWG the last event id persists across events until an `id:` line changes it. */
  let lastEventId = '';
  let pendingEventField = false;

  function dispatch(out: StreamEvent[]): void {
    if (hasData) {
      const event: StreamEvent = { data };
      if (eventType !== '') event.event = eventType;
      if (lastEventId !== '') event.id = lastEventId;
      out.push(event);
    }
    data = '';
    hasData = false;
    eventType = '';
    pendingEventField = false;
  }

  function processLine(input: string, start: number, end: number, out: StreamEvent[]): void {
    if (start === end) {
      dispatch(out);
      return;
    }
    const first = input.charCodeAt(start);
    if (first === COLON) return;

    let colon = input.indexOf(':', start);
    if (colon >= end) colon = -1;
    const nameEnd = colon === -1 ? end : colon;
    let valueStart = colon === -1 ? end : colon + 1;
    if (valueStart < end && input.charCodeAt(valueStart) === SPACE) valueStart++;
    const nameLength = nameEnd - start;

    if (nameLength === 4 && input.startsWith('data', start)) {
      const value = input.slice(valueStart, end);
      if (hasData) data += '\n' + value;
      else data = value;
      hasData = true;
    } else if (nameLength === 5 && input.startsWith('event', start)) {
      eventType = input.slice(valueStart, end);
      pendingEventField = true;
    } else if (nameLength === 2 && input.startsWith('id', start)) {
      const value = input.slice(valueStart, end);
      if (value.indexOf('\u0000') === -1) lastEventId = value;
    }
    // `retry` and unknown fields are ignored.
  }

  return {
    push(chunk: Uint8Array | string): StreamEvent[] {
      const fromString = typeof chunk === 'string';
      let text = fromString ? chunk : decoder.decode(chunk, { stream: true });
      if (text.length === 0) return [];
      if (atStart) {
        atStart = false;
        // TextDecoder already strips a leading BOM from bytes; text input is stripped here.
        if (fromString && text.charCodeAt(0) === BOM) text = text.slice(1);
      }
      if (skipLeadingLf) {
        skipLeadingLf = false;
        if (text.charCodeAt(0) === LF) text = text.slice(1);
      }

      const input = buffer.length === 0 ? text : buffer + text;
      const length = input.length;
      const out: StreamEvent[] = [];
      let pos = 0;
      let lf = input.indexOf('\n');
      let cr = input.indexOf('\r');
      while (lf !== -1 || cr !== -1) {
        let end: number;
        let next: number;
        if (cr === -1 || (lf !== -1 && lf < cr)) {
          end = lf;
          next = lf + 1;
        } else {
          end = cr;
          if (cr + 1 < length) {
            next = input.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
          } else {
            next = cr + 1;
            skipLeadingLf = true;
          }
        }
        processLine(input, pos, end, out);
        pos = next;
        if (lf !== -1 && lf < pos) lf = input.indexOf('\n', pos);
        if (cr !== -1 && cr < pos) cr = input.indexOf('\r', pos);
      }
      buffer = pos === 0 ? input : input.slice(pos);
      return out;
    },

    end(): { events: StreamEvent[]; trailing: boolean } {
      const tail = decoder.decode();
      const trailing = buffer.length > 0 || tail.length > 0 || hasData || pendingEventField;
      // WHATWG: an event not closed by a blank line when the stream ends is discarded.
      buffer = '';
      data = '';
      hasData = false;
      eventType = '';
      pendingEventField = false;
      skipLeadingLf = false;
      return { events: [], trailing };
    },
  };
}
