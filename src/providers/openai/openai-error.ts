/**
 * @module providers/openai/openai-error
 * Upstream failures of the OpenAI protocol → GatewayError, with retryability decided here,
 * once. The status decides the code (429 → RATE_LIMIT_EXCEEDED, 400 with
 * `context_length_exceeded` → TOKEN_LIMIT_EXCEEDED, other 400/422 → a non-retryable MODEL_ERROR
 * answered as 400, 401/403 → MODEL_ERROR 502 that another deployment may not hit, 404 and 503 →
 * MODEL_UNAVAILABLE, 408 → TIMEOUT, 409 and 5xx → MODEL_ERROR). The wait the upstream asks for
 * is read from `retry-after-ms`, `retry-after` (seconds or HTTP date) or OpenAI's
 * `x-ratelimit-reset-*` durations. Details carry the provider's own message, never its headers,
 * and anything that looks like a credential is masked out of it.
 */

import { GatewayError } from '../../core/errors.js';
import { isRecord, numberOr, stringOr } from '../shared/json.js';
import { parseRetryAfterMs } from '../shared/retry-after.js';
import type { ErrorResponse, UpstreamTarget } from '../spec.js';

type Headers = ErrorResponse['headers'];

// Shared by every protocol; re-exported where the OpenAI protocol first needed them.
export { parseDurationMs, parseRetryAfterMs } from '../shared/retry-after.js';

const MAX_MESSAGE_CHARS = 2000;
const NON_JSON_MESSAGE_CHARS = 300;

const SECRET_PATTERN = /\b(sk-|sk_|hf_|ghp_|gho_|ghs_|github_pat_)[A-Za-z0-9_*-]{4,}/g;

/** Masks the target's key and anything shaped like a provider key (OpenAI echoes a partly masked one on 401). */
function redact(text: string, apiKey: string | undefined): string {
  let out = text;
  if (apiKey !== undefined && apiKey.length >= 8 && out.includes(apiKey)) out = out.split(apiKey).join('***');
  return out.replace(SECRET_PATTERN, '$1***');
}

interface UpstreamErrorInfo {
  message: string;
  code?: string;
  type?: string;
  /** A numeric status some compatible servers put in the error body. */
  status?: number;
}

/** Reads `{error: {message, type, code}}` and the variants compatible servers send. */
function errorInfoFrom(parsed: Record<string, unknown>): UpstreamErrorInfo | undefined {
  const error = parsed.error;
  if (isRecord(error)) {
    const codeValue = error.code;
    const info: UpstreamErrorInfo = { message: stringOr(error.message) ?? '' };
    if (typeof codeValue === 'string') {
      info.code = codeValue;
      // Azure sends HTTP statuses as string codes ("429").
      if (codeValue.length === 3 && Number.isInteger(Number(codeValue))) info.status = Number(codeValue);
    } else if (typeof codeValue === 'number') {
      info.status = codeValue;
    }
    const type = stringOr(error.type);
    if (type !== undefined) info.type = type;
    const status = numberOr(error.status);
    if (status !== undefined) info.status = status;
    return info;
  }
  if (typeof error === 'string') {
    const info: UpstreamErrorInfo = { message: error };
    const type = stringOr(parsed.error_type);
    if (type !== undefined) info.type = type;
    return info;
  }
  const message = stringOr(parsed.message);
  return message === undefined ? undefined : { message };
}

function parseErrorBody(body: string): UpstreamErrorInfo {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (isRecord(parsed)) {
        const info = errorInfoFrom(parsed);
        if (info !== undefined && info.message !== '') return info;
        if (info !== undefined) return { ...info, message: body.slice(0, NON_JSON_MESSAGE_CHARS) };
      }
    } catch {
      // Not JSON after all: fall through to the raw text.
    }
  }
  return { message: body.slice(0, NON_JSON_MESSAGE_CHARS) };
}

function isContextLengthError(info: UpstreamErrorInfo): boolean {
  if (info.code === 'context_length_exceeded') return true;
  // Compatible servers (vLLM, TGI) have no code; their message says it.
  const message = info.message.toLowerCase();
  return message.includes('maximum context length') || message.includes('context_length_exceeded');
}

function build(
  status: number,
  headers: Headers,
  info: UpstreamErrorInfo,
  target: UpstreamTarget,
): GatewayError {
  const upstreamMessage = redact(info.message.slice(0, MAX_MESSAGE_CHARS), target.apiKey);
  const details = { provider: target.provider, upstream_status: status, upstream_message: upstreamMessage };
  const message =
    upstreamMessage === ''
      ? `upstream returned ${status}`
      : `upstream returned ${status}: ${upstreamMessage}`;
  const retryAfterMs = parseRetryAfterMs(headers);
  const withWait = retryAfterMs === undefined ? { details } : { details, retryAfterMs };

  if (status === 429) {
    return new GatewayError('RATE_LIMIT_EXCEEDED', message, { ...withWait, status: 429, retryable: true });
  }
  if (status === 400 || status === 413 || status === 422) {
    if (isContextLengthError(info)) return new GatewayError('TOKEN_LIMIT_EXCEEDED', message, { details });
    return new GatewayError('MODEL_ERROR', message, { details, status: 400, retryable: false });
  }
  if (status === 401 || status === 403) {
    // Another deployment may hold valid credentials; the client's request was not at fault.
    return new GatewayError('MODEL_ERROR', message, { details, status: 502, retryable: true });
  }
  if (status === 404) return new GatewayError('MODEL_UNAVAILABLE', message, { ...withWait, retryable: true });
  if (status === 408) return new GatewayError('TIMEOUT', message, { ...withWait, retryable: true });
  if (status === 503) return new GatewayError('MODEL_UNAVAILABLE', message, { ...withWait, retryable: true });
  return new GatewayError('MODEL_ERROR', message, { ...withWait, status: 502, retryable: true });
}

/** Classifies an HTTP error response (status ≥ 400) of an OpenAI-protocol upstream. */
export function classifyOpenAIError(response: ErrorResponse, target: UpstreamTarget): GatewayError {
  return build(response.status, response.headers, parseErrorBody(response.body), target);
}

const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  tokens: 429,
  requests: 429,
  server_error: 500,
  api_error: 500,
  overloaded_error: 503,
  service_unavailable: 503,
};

/**
 * Classifies an error sent inside a 200 response — an `{"error": …}` stream event or body.
 * The status it would have had is taken from the payload (`code`/`status` number, or `type`).
 */
export function classifyOpenAIInBandError(
  payload: Record<string, unknown>,
  target: UpstreamTarget,
): GatewayError {
  const info = errorInfoFrom(payload) ?? { message: '' };
  let status = info.status;
  if (status === undefined || status < 400 || status > 599) {
    status =
      (info.code === undefined ? undefined : STATUS_BY_TYPE[info.code]) ??
      (info.type === undefined ? undefined : STATUS_BY_TYPE[info.type]) ??
      (info.code === 'context_length_exceeded' ? 400 : 500);
  }
  return build(status, {}, info, target);
}
