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

/** Decoding options of every chunk: one object, not one per chunk. */
const STREAMING = { stream: true } as const;

export function createSseParser(): StreamParser {
  return new SseParser();
}

/**
 * A class rather than closures over shared state: a thousand open streams each keep one small
 * object instead of a context and a function per method.
 */
class SseParser implements StreamParser {
  readonly #decoder = new TextDecoder('utf-8');
  /** The unfinished last line of what was pushed so far. */
  #buffer = '';
  /** The previous chunk ended with CR: an LF opening the next chunk belongs to that line end. */
  #skipLeadingLf = false;
  #atStart = true;
  #data = '';
  #hasData = false;
  #eventType = '';
  /** Per WHATWG the last event id persists across events until an `id:` line changes it. */
  #lastEventId = '';
  #pendingEventField = false;

  #dispatch(out: StreamEvent[]): void {
    if (this.#hasData) {
      const event: StreamEvent = { data: this.#data };
      if (this.#eventType !== '') event.event = this.#eventType;
      if (this.#lastEventId !== '') event.id = this.#lastEventId;
      out.push(event);
    }
    this.#data = '';
    this.#hasData = false;
    this.#eventType = '';
    this.#pendingEventField = false;
  }

  #processLine(input: string, start: number, end: number, out: StreamEvent[]): void {
    if (start === end) {
      this.#dispatch(out);
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
      if (this.#hasData) this.#data += '\n' + value;
      else this.#data = value;
      this.#hasData = true;
    } else if (nameLength === 5 && input.startsWith('event', start)) {
      this.#eventType = input.slice(valueStart, end);
      this.#pendingEventField = true;
    } else if (nameLength === 2 && input.startsWith('id', start)) {
      const value = input.slice(valueStart, end);
      if (value.indexOf('\u0000') === -1) this.#lastEventId = value;
    }
    // `retry` and unknown fields are ignored.
  }

  push(chunk: Uint8Array | string): StreamEvent[] {
    const fromString = typeof chunk === 'string';
    let text = fromString ? chunk : this.#decoder.decode(chunk, STREAMING);
    if (text.length === 0) return [];
    if (this.#atStart) {
      this.#atStart = false;
      // TextDecoder already strips a leading BOM from bytes; text input is stripped here.
      if (fromString && text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    if (this.#skipLeadingLf) {
      this.#skipLeadingLf = false;
      if (text.charCodeAt(0) === LF) text = text.slice(1);
    }

    const input = this.#buffer.length === 0 ? text : this.#buffer + text;
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
          this.#skipLeadingLf = true;
        }
      }
      this.#processLine(input, pos, end, out);
      pos = next;
      if (lf !== -1 && lf < pos) lf = input.indexOf('\n', pos);
      if (cr !== -1 && cr < pos) cr = input.indexOf('\r', pos);
    }
    this.#buffer = pos === 0 ? input : input.slice(pos);
    return out;
  }

  end(): { events: StreamEvent[]; trailing: boolean } {
    const tail = this.#decoder.decode();
    const trailing = this.#buffer.length > 0 || tail.length > 0 || this.#hasData || this.#pendingEventField;
    // WHATWG: an event not closed by a blank line when the stream ends is discarded.
    this.#buffer = '';
    this.#data = '';
    this.#hasData = false;
    this.#eventType = '';
    this.#pendingEventField = false;
    this.#skipLeadingLf = false;
    return { events: [], trailing };
  }
}
