/**
 * @module http/body
 * Reads a JSON request body with a hard size limit: a declared Content-Length over the limit is
 * refused before any byte is read, and a chunked body is cut off as soon as it passes it.
 */

import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.js';

export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) {
    throw tooLarge(limitBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw tooLarge(limitBytes);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) throw new GatewayError('INVALID_REQUEST', 'the request body is empty; send a JSON object');
  const text =
    chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
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
