/**
 * @module providers/anthropic/anthropic-error
 * Anthropic failures → GatewayError, retryability decided here, once. Anthropic's error body is
 * `{type: 'error', error: {type, message}}` and the error type decides before the status does:
 *
 * - `overloaded_error` (529) → MODEL_UNAVAILABLE, retryable (Anthropic is short of capacity).
 * - `rate_limit_error` (429) → RATE_LIMIT_EXCEEDED, waiting as `retry-after` says, else until the
 *   exhausted limit's `anthropic-ratelimit-*-reset` (RFC 3339 timestamps).
 * - `invalid_request_error` (400) → a non-retryable MODEL_ERROR answered as 400, or
 *   TOKEN_LIMIT_EXCEEDED when the prompt is too long; `request_too_large` (413) → PAYLOAD_TOO_LARGE.
 * - `authentication_error`, `permission_error`, `billing_error` → MODEL_ERROR 502, retryable:
 *   another deployment may hold valid credentials; the client's request was not at fault.
 * - `not_found_error` (a model this key cannot use) → MODEL_UNAVAILABLE, retryable.
 * - `api_error` (500) and other 5xx → MODEL_ERROR 502, retryable; `timeout_error` → TIMEOUT.
 *
 * Details carry the provider's message and error type, never its headers; anything shaped like
 * an Anthropic key is masked out of the message.
 */

import { GatewayError } from '../../core/errors.js';
import { headerValue, isRecord, stringOr } from '../shared/json.js';
import type { ErrorResponse, UpstreamTarget } from '../spec.js';

type Headers = ErrorResponse['headers'];

const MAX_MESSAGE_CHARS = 2000;
const NON_JSON_MESSAGE_CHARS = 300;

/** Anthropic's documented statuses per error type, for errors that arrive inside a 200 stream. */
const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** The limit classes Anthropic reports, each with `-remaining` and `-reset` headers. */
const LIMIT_CLASSES = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;

interface UpstreamErrorInfo {
  type?: string;
  message: string;
}

const SECRET_PATTERN = /\bsk-ant-[A-Za-z0-9_*-]{4,}/g;

function redact(text: string, apiKey: string | undefined): string {
  let out = text;
  if (apiKey !== undefined && apiKey.length >= 8 && out.includes(apiKey)) out = out.split(apiKey).join('***');
  return out.replace(SECRET_PATTERN, 'sk-ant-***');
}

function errorInfoFrom(parsed: Record<string, unknown>): UpstreamErrorInfo | undefined {
  const error = parsed.error;
  if (!isRecord(error)) return undefined;
  const info: UpstreamErrorInfo = { message: stringOr(error.message) ?? '' };
  const type = stringOr(error.type);
  if (type !== undefined) info.type = type;
  return info;
}

function parseErrorBody(body: string): UpstreamErrorInfo {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (isRecord(parsed)) {
        const info = errorInfoFrom(parsed);
        if (info !== undefined) return info;
      }
    } catch {
      // Not JSON after all (a proxy's page): fall through to the raw text.
    }
  }
  return { message: body.slice(0, NON_JSON_MESSAGE_CHARS) };
}

/** Milliseconds until an RFC 3339 timestamp, or undefined if it is not one. */
function untilTimestamp(text: string | undefined, now: number): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Milliseconds Anthropic asked us to wait: `retry-after` (seconds) first; else the reset of the
 * limit that ran out (the latest one, if several did); else the latest reset it sent at all.
 */
export function parseAnthropicRetryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const retryAfter = headerValue(headers['retry-after']);
  if (retryAfter !== undefined && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const until = untilTimestamp(retryAfter, now);
    if (until !== undefined) return until;
  }
  let exhausted: number | undefined;
  let latest: number | undefined;
  for (const limit of LIMIT_CLASSES) {
    const reset = untilTimestamp(headerValue(headers[`anthropic-ratelimit-${limit}-reset`]), now);
    if (reset === undefined) continue;
    latest = Math.max(latest ?? 0, reset);
    if (headerValue(headers[`anthropic-ratelimit-${limit}-remaining`])?.trim() === '0') {
      exhausted = Math.max(exhausted ?? 0, reset);
    }
  }
  return exhausted ?? latest;
}

function isPromptTooLong(info: UpstreamErrorInfo): boolean {
  const message = info.message.toLowerCase();
  return message.includes('prompt is too long') || message.includes('context window');
}

function build(
  status: number,
  headers: Headers,
  info: UpstreamErrorInfo,
  target: UpstreamTarget,
): GatewayError {
  const upstreamMessage = redact(info.message.slice(0, MAX_MESSAGE_CHARS), target.apiKey);
  const details: Record<string, unknown> = {
    provider: target.provider,
    upstream_status: status,
    upstream_message: upstreamMessage,
  };
  if (info.type !== undefined) details.upstream_type = info.type;
  const message =
    upstreamMessage === ''
      ? `upstream returned ${status}`
      : `upstream returned ${status}: ${upstreamMessage}`;
  const retryAfterMs = parseAnthropicRetryAfterMs(headers);
  const withWait = retryAfterMs === undefined ? { details } : { details, retryAfterMs };

  switch (info.type ?? '') {
    case 'overloaded_error':
      return new GatewayError('MODEL_UNAVAILABLE', message, { ...withWait, retryable: true });
    case 'rate_limit_error':
      return new GatewayError('RATE_LIMIT_EXCEEDED', message, { ...withWait, status: 429, retryable: true });
    case 'invalid_request_error':
      if (isPromptTooLong(info)) return new GatewayError('TOKEN_LIMIT_EXCEEDED', message, { details });
      return new GatewayError('MODEL_ERROR', message, { details, status: 400, retryable: false });
    case 'request_too_large':
      return new GatewayError('PAYLOAD_TOO_LARGE', message, { details });
    case 'authentication_error':
    case 'permission_error':
    case 'billing_error':
      return new GatewayError('MODEL_ERROR', message, { details, status: 502, retryable: true });
    case 'not_found_error':
      return new GatewayError('MODEL_UNAVAILABLE', message, { ...withWait, retryable: true });
    case 'timeout_error':
      return new GatewayError('TIMEOUT', message, { ...withWait, retryable: true });
    case 'api_error':
      return new GatewayError('MODEL_ERROR', message, { ...withWait, status: 502, retryable: true });
  }
  // No (known) error type: a proxy's answer, or a type added after this was written.
  if (status === 429) return new GatewayError('RATE_LIMIT_EXCEEDED', message, { ...withWait, status: 429 });
  if (status === 529 || status === 503 || status === 404) {
    return new GatewayError('MODEL_UNAVAILABLE', message, { ...withWait, retryable: true });
  }
  if (status === 413) return new GatewayError('PAYLOAD_TOO_LARGE', message, { details });
  if (status === 408 || status === 504)
    return new GatewayError('TIMEOUT', message, { ...withWait, retryable: true });
  if (status === 401 || status === 403 || status === 402) {
    return new GatewayError('MODEL_ERROR', message, { details, status: 502, retryable: true });
  }
  if (status >= 400 && status < 500 && status !== 409) {
    if (isPromptTooLong(info)) return new GatewayError('TOKEN_LIMIT_EXCEEDED', message, { details });
    return new GatewayError('MODEL_ERROR', message, { details, status: 400, retryable: false });
  }
  return new GatewayError('MODEL_ERROR', message, { ...withWait, status: 502, retryable: true });
}

/** Classifies an HTTP error response (status ≥ 400) of an Anthropic upstream. */
export function classifyAnthropicError(response: ErrorResponse, target: UpstreamTarget): GatewayError {
  return build(response.status, response.headers, parseErrorBody(response.body), target);
}

/** Classifies an error that came inside a 200 response: the stream's `error` event, or an error body. */
export function classifyAnthropicInBandError(
  payload: Record<string, unknown>,
  target: UpstreamTarget,
): GatewayError {
  const info = errorInfoFrom(payload) ?? { message: '' };
  const status = (info.type === undefined ? undefined : STATUS_BY_TYPE[info.type]) ?? 500;
  return build(status, {}, info, target);
}
