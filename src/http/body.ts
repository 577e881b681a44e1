/**
 * @module http/body
 * Reads a JSON request body with a hard size limit: a declared Content-Length over the limit is
 * refused before any byte is read, and a chunked body is cut off as soon as it passes it. It reads
 * with plain stream listeners (the module's own functions, no closures) into the first chunk (a
 * small body arrives in one) or one buffer of the declared length, which costs a fraction of
 * `for await` over the request. The outcome goes to a promise ({@link readJsonBody}) or to a
 * route's own receiver object ({@link readJsonBodyInto}). Nesting
 * deeper than {@link MAX_JSON_DEPTH} is refused by a byte scan before `JSON.parse`, whose recursion
 * would otherwise overflow the stack on a body of a few kilobytes of brackets.
 */

import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

/** No legitimate request nests deeper; tool schemas stay far below this. */
export const MAX_JSON_DEPTH = 64;

export function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) =>
    readJsonBodyInto(req, limitBytes, { bodyRead: resolve, bodyFailed: reject }),
  );
}

/**
 * Who a body read reports to: a promise's settle functions (readJsonBody), or a route's own
 * per-request object, which spares the route a promise, its executor closure and an `await`.
 */
export interface BodyReceiver {
  /** The parsed body. Must not throw: it runs inside the request's 'end' event. */
  bodyRead(value: unknown): void;
  bodyFailed(error: unknown): void;
}

/**
 * {@link readJsonBody} reporting to `receiver`: exactly once, synchronously when the read is
 * refused before it starts (a declared length over the limit, a client already gone).
 */
export function readJsonBodyInto(req: IncomingMessage, limitBytes: number, receiver: BodyReceiver): void {
  const declared = req.headers['content-length'];
  const expected = declared === undefined ? -1 : Number(declared);
  if (expected > limitBytes) {
    receiver.bodyFailed(tooLarge(limitBytes));
    return;
  }
  // A client that hung up before reading began (e.g. while authentication waited on the key store).
  if (req.destroyed && !req.complete) {
    receiver.bodyFailed(aborted());
    return;
  }
  (req as Reading)[READ] = {
    limitBytes,
    expected,
    first: undefined,
    whole: undefined,
    chunks: undefined,
    size: 0,
    receiver,
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  req.on('close', onClose);
}

/**
 * A read in progress, kept on the request itself: the listeners are the module's own functions
 * (called with the request as `this`), not five closures made per request. It is taken off when
 * the read settles, and a listener finding none has nothing left to do: the listeners stay on the
 * request, which ends with its read anyway, rather than cost four removals per request.
 */
interface BodyRead {
  readonly limitBytes: number;
  readonly expected: number;
  first: Buffer | undefined;
  /** A body in several chunks goes into one buffer of the declared size, or a list when undeclared. */
  whole: Buffer | undefined;
  chunks: Buffer[] | undefined;
  size: number;
  readonly receiver: BodyReceiver;
}

const READ = Symbol('switchyard.bodyRead');

type Reading = IncomingMessage & { [READ]?: BodyRead | undefined };

/** Ends the read in progress, if any, and hands back what it was. */
function settled(req: Reading): BodyRead | undefined {
  const read = req[READ];
  if (read !== undefined) req[READ] = undefined;
  return read;
}

function onData(this: Reading, chunk: Buffer): void {
  const read = this[READ];
  if (read === undefined) return;
  const at = read.size;
  read.size += chunk.length;
  if (read.size > read.limitBytes || (read.expected >= 0 && read.size > read.expected)) {
    settled(this);
    read.receiver.bodyFailed(tooLarge(read.limitBytes));
    return;
  }
  if (read.first === undefined) read.first = chunk;
  else if (read.expected >= 0) {
    if (read.whole === undefined) {
      read.whole = Buffer.allocUnsafe(read.expected);
      read.first.copy(read.whole, 0);
    }
    chunk.copy(read.whole, at);
  } else {
    read.chunks ??= [read.first];
    read.chunks.push(chunk);
  }
}

function onEnd(this: Reading): void {
  const read = settled(this);
  if (read === undefined) return;
  let value: unknown;
  try {
    const bytes =
      read.whole !== undefined
        ? read.whole.subarray(0, read.size)
        : read.chunks !== undefined
          ? Buffer.concat(read.chunks, read.size)
          : read.first;
    value = parseJson(bytes);
  } catch (error) {
    read.receiver.bodyFailed(error);
    return;
  }
  read.receiver.bodyRead(value);
}

function onError(this: Reading, error: Error): void {
  settled(this)?.receiver.bodyFailed(error);
}

/**
 * A client that hangs up before the body is complete: 'close' without 'end' (and no 'error'
 * when nobody was listening yet, e.g. while authentication waited on the key store).
 */
function onClose(this: Reading): void {
  if (this.complete) return;
  settled(this)?.receiver.bodyFailed(aborted());
}

function aborted(): Error {
  return Object.assign(new Error('the client closed the connection before the request body was complete'), {
    code: 'ECONNRESET',
  });
}

function parseJson(bytes: Buffer | undefined): unknown {
  if (bytes === undefined || bytes.length === 0) {
    throw new GatewayError('INVALID_REQUEST', 'the request body is empty; send a JSON object');
  }
  if (jsonDepthExceeds(bytes, MAX_JSON_DEPTH)) {
    throw new GatewayError('INVALID_REQUEST', `the request body nests deeper than ${MAX_JSON_DEPTH} levels`, {
      details: { field: 'body', max_depth: MAX_JSON_DEPTH },
    });
  }
  const text = bytes.toString();
  try {
    return JSON.parse(text);
  } catch {
    // V8's message quotes the body; a body may carry secrets, so it is not echoed.
    throw new GatewayError('INVALID_REQUEST', 'the request body is not valid JSON', {
      details: { field: 'body' },
    });
  }
}

function tooLarge(limitBytes: number): GatewayError {
  return new GatewayError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limitBytes} bytes`, {
    details: { limit_bytes: limitBytes, hint: 'raise server.body_limit_mb to accept larger bodies' },
  });
}

/** True when brackets outside strings nest deeper than `max`; one pass, no allocation. */
export function jsonDepthExceeds(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === QUOTE) i = stringEnd(bytes, i + 1, n);
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Bytes of a string looked at one by one before the rest is searched natively for a quote. */
const INLINE_BYTES = 24;

/**
 * Where the string whose first byte is at `from` ends: its closing quote, or `n` when it runs to
 * the end. Strings are most of a chat body's bytes, and a byte loop over them costs ~2 ns a byte:
 * past its first bytes a string's next quote is found by `indexOf` (memchr), and it closes the
 * string when the backslashes just before it are even in number (6 KB of messages: 6.6 → 3.6 µs).
 * Looking at the next bytes one by one again after each escaped quote bounds text dense in
 * escaped quotes to ~1.5× the byte loop.
 */
function stringEnd(bytes: Uint8Array, from: number, n: number): number {
  let i = from;
  for (;;) {
    const inline = Math.min(n, i + INLINE_BYTES);
    for (; i < inline; i++) {
      const c = bytes[i]!;
      if (c === QUOTE) return i;
      if (c === BACKSLASH) i++; // skip the escaped byte
    }
    if (i >= n) return n;
    // `i` is where a character starts (not an escaped byte): backslashes are counted back to it.
    const quote = bytes.indexOf(QUOTE, i);
    if (quote === -1) return n;
    let k = quote - 1;
    while (k >= i && bytes[k] === BACKSLASH) k--;
    if ((quote - 1 - k) % 2 === 0) return quote;
    i = quote + 1;
  }
}
