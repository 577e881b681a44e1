/**
 * @module providers/gemini/gemini-error
 * Google's errors (`{error: {code, message, status, details}}`, google.rpc.Status) → GatewayError,
 * retryability decided here, once. The canonical `status` name decides when present, the HTTP
 * status otherwise: RESOURCE_EXHAUSTED → RATE_LIMIT_EXCEEDED (waiting as `RetryInfo.retryDelay`
 * in `details` asks, else as `Retry-After` does); INVALID_ARGUMENT → a non-retryable 400
 * (TOKEN_LIMIT_EXCEEDED when the message says the input is too long), except an invalid API key,
 * which Google also answers 400 and which another deployment may not share; UNAUTHENTICATED,
 * PERMISSION_DENIED and FAILED_PRECONDITION (billing, region) → MODEL_ERROR 502, retryable
 * elsewhere; NOT_FOUND and UNAVAILABLE → MODEL_UNAVAILABLE; DEADLINE_EXCEEDED → TIMEOUT;
 * INTERNAL and other server faults → MODEL_ERROR. Details carry Google's message, never headers,
 * with the key and anything shaped like a Google API key masked out.
 */

import { GatewayError } from '../../core/errors.js';
import { headerValue, isRecord, numberOr, stringOr } from '../shared/json.js';
import type { ErrorResponse, UpstreamTarget } from '../spec.js';

const MAX_MESSAGE_CHARS = 2000;
const NON_JSON_MESSAGE_CHARS = 300;
const GOOGLE_KEY_PATTERN = /AIza[0-9A-Za-z_-]{8,}/g;

/** Canonical status names → their HTTP statuses (google.rpc.Code mapping). */
const HTTP_BY_STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNKNOWN: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

interface GoogleErrorInfo {
  message: string;
  /** The canonical status name (`RESOURCE_EXHAUSTED`). */
  status?: string;
  /** The numeric code in the body (an HTTP status). */
  code?: number;
  retryAfterMs?: number;
  /** `ErrorInfo.reason` values, e.g. `API_KEY_INVALID`. */
  reasons: string[];
}

/** A google.protobuf.Duration in JSON (`"38s"`, `"0.5s"`) → whole milliseconds. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'string') {
    if (!value.endsWith('s')) return undefined;
    const seconds = Number(value.slice(0, -1));
    return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
  }
  if (isRecord(value)) {
    const seconds = Number(value.seconds ?? 0);
    const nanos = numberOr(value.nanos) ?? 0;
    const ms = seconds * 1000 + nanos / 1e6;
    return Number.isFinite(ms) && ms >= 0 ? Math.ceil(ms) : undefined;
  }
  return undefined;
}

function infoFrom(error: Record<string, unknown>): GoogleErrorInfo {
  const info: GoogleErrorInfo = { message: stringOr(error.message) ?? '', reasons: [] };
  const status = stringOr(error.status);
  if (status !== undefined && status !== '') info.status = status;
  const code = numberOr(error.code);
  if (code !== undefined) info.code = code;
  if (Array.isArray(error.details)) {
    for (const detail of error.details) {
      if (!isRecord(detail)) continue;
      const type = stringOr(detail['@type']) ?? '';
      if (type.endsWith('google.rpc.RetryInfo')) {
        const wait = parseDurationMs(detail.retryDelay);
        if (wait !== undefined) info.retryAfterMs = wait;
      } else if (type.endsWith('google.rpc.ErrorInfo')) {
        const reason = stringOr(detail.reason);
        if (reason !== undefined) info.reasons.push(reason);
      }
    }
  }
  return info;
}

function parseErrorBody(body: string): GoogleErrorInfo {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      let parsed: unknown = JSON.parse(trimmed);
      // Streaming calls without `alt=sse` wrap the body in an array.
      if (Array.isArray(parsed)) parsed = parsed[0];
      if (isRecord(parsed) && isRecord(parsed.error)) {
        const info = infoFrom(parsed.error);
        if (info.message === '') info.message = body.slice(0, NON_JSON_MESSAGE_CHARS);
        return info;
      }
    } catch {
      // Not JSON after all: fall through to the raw text.
    }
  }
  return { message: body.slice(0, NON_JSON_MESSAGE_CHARS), reasons: [] };
}

function redact(text: string, apiKey: string | undefined): string {
  let out = text;
  if (apiKey !== undefined && apiKey.length >= 8 && out.includes(apiKey)) out = out.split(apiKey).join('***');
  return out.replace(GOOGLE_KEY_PATTERN, 'AIza***');
}

function retryAfterHeaderMs(headers: ErrorResponse['headers'], now: number): number | undefined {
  const text = headerValue(headers['retry-after'])?.trim();
  if (text === undefined || text === '') return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isTokenLimit(message: string): boolean {
  const lower = message.toLowerCase();
  return lower.includes('token') && (lower.includes('exceed') || lower.includes('too long'));
}

function isBadKey(info: GoogleErrorInfo): boolean {
  return info.reasons.includes('API_KEY_INVALID') || info.message.includes('API key not valid');
}

function build(
  httpStatus: number,
  headers: ErrorResponse['headers'],
  info: GoogleErrorInfo,
  target: UpstreamTarget,
) {
  const upstreamMessage = redact(info.message.slice(0, MAX_MESSAGE_CHARS), target.apiKey);
  const details: Record<string, unknown> = {
    provider: target.provider,
    upstream_status: httpStatus,
    upstream_message: upstreamMessage,
  };
  if (info.status !== undefined) details.upstream_code = info.status;
  const message =
    upstreamMessage === ''
      ? `upstream returned ${httpStatus}`
      : `upstream returned ${httpStatus}: ${upstreamMessage}`;
  const retryAfterMs = info.retryAfterMs ?? retryAfterHeaderMs(headers, Date.now());
  const withWait = retryAfterMs === undefined ? { details } : { details, retryAfterMs };
  const status = info.status ?? '';
  const http = HTTP_BY_STATUS[status] ?? httpStatus;

  if (status === 'RESOURCE_EXHAUSTED' || http === 429) {
    return new GatewayError('RATE_LIMIT_EXCEEDED', message, { ...withWait, status: 429, retryable: true });
  }
  if (
    status === 'UNAUTHENTICATED' ||
    status === 'PERMISSION_DENIED' ||
    http === 401 ||
    http === 403 ||
    isBadKey(info)
  ) {
    // Another deployment may hold valid credentials; the client's request was not at fault.
    return new GatewayError('MODEL_ERROR', message, { details, status: 502, retryable: true });
  }
  if (status === 'FAILED_PRECONDITION') {
    // Billing or region of this project: another deployment may serve the same request.
    return new GatewayError('MODEL_ERROR', message, { details, status: 502, retryable: true });
  }
  if (status === 'NOT_FOUND' || http === 404) {
    return new GatewayError('MODEL_UNAVAILABLE', message, { ...withWait, retryable: true });
  }
  if (status === 'DEADLINE_EXCEEDED' || http === 504 || http === 408) {
    return new GatewayError('TIMEOUT', message, { ...withWait, retryable: true });
  }
  if (status === 'UNAVAILABLE' || http === 503) {
    return new GatewayError('MODEL_UNAVAILABLE', message, { ...withWait, retryable: true });
  }
  if (http === 400 || http === 413 || http === 422) {
    if (isTokenLimit(info.message)) return new GatewayError('TOKEN_LIMIT_EXCEEDED', message, { details });
    return new GatewayError('MODEL_ERROR', message, { details, status: 400, retryable: false });
  }
  return new GatewayError('MODEL_ERROR', message, { ...withWait, status: 502, retryable: true });
}

/** Classifies an HTTP error response (status ≥ 400) of the Gemini API. */
export function classifyGeminiError(response: ErrorResponse, target: UpstreamTarget): GatewayError {
  return build(response.status, response.headers, parseErrorBody(response.body), target);
}

/** Classifies an `{error: …}` object sent inside a 200: a stream event or a body. */
export function classifyGeminiInBandError(
  payload: Record<string, unknown>,
  target: UpstreamTarget,
): GatewayError {
  const error = payload.error;
  const info: GoogleErrorInfo = isRecord(error)
    ? infoFrom(error)
    : { message: typeof error === 'string' ? error : '', reasons: [] };
  let http = info.code;
  if (http === undefined || http < 400 || http > 599) http = HTTP_BY_STATUS[info.status ?? ''] ?? 500;
  return build(http, {}, info, target);
}
