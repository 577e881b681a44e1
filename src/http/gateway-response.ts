/**
 * @module http/gateway-response
 * The gateway's ServerResponse: it writes the request's `x-switchyard-request-id` into whatever
 * head goes out (a route's `writeHead`, an error, Node's implicit head), and remembers the
 * headers that head was written with, for the access log. Setting the id up front with
 * `setHeader` would put every response on Node's slow head path — each header validated and
 * copied into the response's header map one `setHeader` at a time, and that map kept for the
 * life of a stream — where a head given whole to `writeHead` is written straight out.
 * A headers object given to `writeHead` becomes the response's own (the id is added to it), so
 * routes pass a fresh literal, never a shared constant.
 *
 * Node checks every header name and value of a head with a regular expression, twice per header
 * and response — half of what writing a head of sixteen headers costs. Here the head goes to Node
 * as the response's header map, the one `setHeader` fills, which Node writes out as already
 * checked; the names and values in it were checked here with Node's own expressions, and a head
 * with the names of the last one (the same route, response after response) reuses its map, so
 * only the values that changed (the request id, the counts left) are checked again. A head that
 * is not plain strings and numbers, or that fails a check, takes Node's own path, which refuses
 * it as before.
 */

import {
  type IncomingMessage,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
  OutgoingMessage,
  ServerResponse,
} from 'node:http';

const REQUEST_ID = 'x-switchyard-request-id';

/**
 * Node's symbol for the header map `setHeader` fills (name → `[name, value]`); undefined if
 * this Node has none, and then every head takes Node's own path.
 */
const OUT_HEADERS: symbol | undefined = Object.getOwnPropertySymbols(new OutgoingMessage()).find(
  (symbol) => symbol.description === 'kOutHeaders',
);

/** Node's own checks (`checkIsHttpToken`, `checkInvalidHeaderChar` in `_http_common`). */
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

type HeaderEntry = [string, string | number];

/** A header map as Node keeps it: own properties only, nothing inherited (no `constructor`). */
const HeaderMap = function HeaderMap() {} as unknown as new () => Record<string, HeaderEntry>;
HeaderMap.prototype = Object.create(null);

/**
 * The last head's header map, every name and value in it checked. A head with the same names in
 * the same order (the same route, response after response) reuses it: only the values that
 * changed are checked and stored. It is the response's header map only while Node writes the
 * head, synchronously, so one serves every response.
 */
let last: { names: string[]; entries: HeaderEntry[]; map: Record<string, HeaderEntry> } | undefined;

function validValue(value: unknown): value is string | number {
  return typeof value === 'number' || (typeof value === 'string' && !INVALID_VALUE.test(value));
}

/** The head as Node's header map, every name and value checked; undefined for Node's own path. */
function checkedHeaderMap(head: OutgoingHttpHeaders): Record<string, HeaderEntry> | undefined {
  if (last !== undefined) {
    // `for…in` over the head itself, not `Object.keys`: no array of names per head, and V8 reads
    // each value through the head's enumeration cache (a chat answer's 16: 0.27 → 0.15 µs).
    // for…in also yields inherited names, after the own ones: a head with any has more names
    // than the last one, so it is not taken here.
    const { names, entries } = last;
    let i = 0;
    for (const name in head) {
      if (i === names.length || name !== names[i]) return freshHeaderMap(head);
      const value = head[name];
      const entry = entries[i++]!;
      if (entry[1] === value) continue;
      if (!validValue(value)) return undefined;
      entry[1] = value;
    }
    if (i === names.length) return last.map;
  }
  return freshHeaderMap(head);
}

/** A new header map for a head whose names differ from the last one's. */
function freshHeaderMap(head: OutgoingHttpHeaders): Record<string, HeaderEntry> | undefined {
  // Own keys, in the order Node's `for…in` with its own-property check takes them.
  const names = Object.keys(head);
  const map = new HeaderMap();
  const entries: HeaderEntry[] = [];
  for (const name of names) {
    const value = head[name];
    if (!TOKEN.test(name) || !validValue(value)) return undefined;
    // Keyed by the name as given (not lower-cased): two names that differ in case both go out, as from an object.
    const entry: HeaderEntry = [name, value];
    map[name] = entry;
    entries.push(entry);
  }
  last = { names, entries, map };
  return map;
}

/** The front door's state of the request a response answers, told when the response closes. */
export interface ResponseExchange {
  closed(): void;
}

export class GatewayResponse<
  Request extends IncomingMessage = IncomingMessage,
> extends ServerResponse<Request> {
  /** Set by the front door before any route runs; empty until then. */
  requestId = '';
  /** The headers object the head was written with (when it was given as one). */
  written: OutgoingHttpHeaders | undefined = undefined;
  /** Set by the front door: its one 'close' listener for every response finds the request here. */
  exchange: ResponseExchange | undefined = undefined;

  override writeHead(
    statusCode: number,
    reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    const phrase = typeof reason === 'string' ? reason : undefined;
    const given =
      phrase === undefined ? (reason as OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined) : headers;
    let head = given;
    if (this.requestId !== '') {
      if (head === undefined) head = { [REQUEST_ID]: this.requestId };
      else if (Array.isArray(head)) {
        if (!this.hasHeader(REQUEST_ID)) this.setHeader(REQUEST_ID, this.requestId);
      } else if (head[REQUEST_ID] === undefined) head[REQUEST_ID] = this.requestId;
    }
    if (head !== undefined && !Array.isArray(head)) {
      this.written = head;
      const map = this.#checkedHead(statusCode, head);
      if (map !== undefined) return this.#writeChecked(statusCode, phrase, map);
    }
    return phrase === undefined
      ? super.writeHead(statusCode, head)
      : super.writeHead(statusCode, phrase, head);
  }

  /** A header of the response as sent: from the head's own object, else from `setHeader`. */
  sentHeader(name: string): string | undefined {
    const value = this.written?.[name] ?? this.getHeader(name);
    return value === undefined ? undefined : String(value);
  }

  /** The head as a checked header map, when it can be written that way. */
  #checkedHead(statusCode: number, head: OutgoingHttpHeaders): Record<string, HeaderEntry> | undefined {
    // Only where Node would take the head as given: nothing set with setHeader, nothing sent yet,
    // and a status it will accept (it refuses a bad one before it reads the map).
    if (OUT_HEADERS === undefined || this.headersSent || !(statusCode >= 100 && statusCode <= 999)) {
      return undefined;
    }
    if ((this as unknown as Record<symbol, unknown>)[OUT_HEADERS] !== null) return undefined;
    return checkedHeaderMap(head);
  }

  /**
   * Writes the head from the checked map, as `setHeader` calls would have left it; then drops
   * the map, so the response reads afterwards as one whose head was given to `writeHead`.
   */
  #writeChecked(statusCode: number, phrase: string | undefined, map: Record<string, HeaderEntry>): this {
    const self = this as unknown as Record<symbol, unknown>;
    self[OUT_HEADERS!] = map;
    try {
      return phrase === undefined ? super.writeHead(statusCode) : super.writeHead(statusCode, phrase);
    } finally {
      self[OUT_HEADERS!] = null;
    }
  }
}
