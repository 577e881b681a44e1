/**
 * @module http/respond
 * Writing responses: JSON bodies, the error envelope, and the `x-switchyard-*` headers every
 * response carries. Error bodies pass through the redactor before they leave.
 */

import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../core/errors.js';
import type { Redactor } from '../observability/redact.js';

export type Headers = Record<string, string | number>;

/**
 * `headers`, when given, must be a fresh object: it becomes the response's head (a copy of a
 * dozen headers per response is not free), with the JSON content type and length added.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Headers): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** {@link sendJson} of a body already serialized (by a wire codec that knows its shape). */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers?: Headers): void {
  const head: Headers = headers ?? {};
  if (head['content-type'] === undefined) head['content-type'] = 'application/json';
  head['content-length'] = Buffer.byteLength(text);
  res.writeHead(status, head);
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  headers?: Headers,
) {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  error: GatewayError,
  redactor: Redactor,
  headers?: Headers,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const extra: Headers = { ...error.headers, ...headers };
  if (error.retryAfterMs !== undefined && (error.status === 429 || error.status === 503)) {
    extra['retry-after'] = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
  }
  sendJson(res, error.status, redactor.value(error.toJSON()), extra);
}

let lastCostNanos = Number.NaN;
let lastCost = '';

/** Cost in USD with enough digits for sub-cent requests, as a header value (`0.0000084`, `2.0`). */
export function formatCostHeader(costNanos: number): string {
  // Requests alike cost alike: the last answer is kept (NaN, never equal, starts it empty).
  if (costNanos === lastCostNanos) return lastCost;
  lastCost = formatCost(costNanos);
  lastCostNanos = costNanos;
  return lastCost;
}

function formatCost(costNanos: number): string {
  if (!Number.isSafeInteger(costNanos) || costNanos < 0) {
    return (costNanos / 1e9).toFixed(9).replace(/0+$/, '').replace(/\.$/, '.0');
  }
  // Integer arithmetic on the nano-dollars: no float formatting, no regex, on every response.
  const whole = Math.floor(costNanos / 1e9);
  let fraction = costNanos - whole * 1e9;
  if (fraction === 0) return `${whole}.0`;
  let digits = 9;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits--;
  }
  return `${whole}.${String(fraction).padStart(digits, '0')}`;
}
