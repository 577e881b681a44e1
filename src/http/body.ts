/**
 * @module http/body
 * Reads a JSON request body with a hard size limit: a declared Content-Length over the limit is
 * refused before any byte is read, and a chunked body is cut off as soon as it passes it. It reads
 * with plain stream listeners into the first chunk (a small body arrives in one) or one buffer of
 * the declared length, which costs a fraction of `for await` over the request. Nesting
 * deeper than {@link MAX_JSON_DEPTH} is refused by a byte scan before `JSON.parse`, whose recursion
 * would otherwise overflow the stack on a body of a few kilobytes of brackets.
 */

import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

/** No legitimate request nests deeper; tool schemas stay far below this. */
export const MAX_JSON_DEPTH = 64;

export function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = req.headers['content-length'];
  const expected = declared === undefined ? -1 : Number(declared);
  if (expected > limitBytes) return Promise.reject(tooLarge(limitBytes));
  // Plain 'data'/'end' listeners: `for await` builds an async iterator and a promise per chunk.
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    // A body in several chunks goes into one buffer of the declared size, or a list when undeclared.
    let whole: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      const at = size;
      size += chunk.length;
      if (size > limitBytes || (expected >= 0 && size > expected)) {
        stop();
        reject(tooLarge(limitBytes));
        return;
      }
      if (first === undefined) first = chunk;
      else if (expected >= 0) {
        if (whole === undefined) {
          whole = Buffer.allocUnsafe(expected);
          first.copy(whole, 0);
        }
        chunk.copy(whole, at);
      } else {
        chunks ??= [first];
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      stop();
      try {
        const bytes =
          whole !== undefined
            ? whole.subarray(0, size)
            : chunks !== undefined
              ? Buffer.concat(chunks, size)
              : first;
        resolve(parseJson(bytes));
      } catch (error) {
        reject(error);
      }
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    // A client that hangs up before the body is complete: 'close' without 'end' (and no 'error'
    // when nobody was listening yet, e.g. while authentication waited on the key store).
    const onClose = () => {
      if (req.complete) return;
      stop();
      reject(aborted());
    };
    if (req.destroyed && !req.complete) {
      reject(aborted());
      return;
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
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
  const text = bytes.toString('utf8');
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
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}
