/**
 * @module providers/ollama/ollama-error
 * Ollama failures → GatewayError, with retryability decided here, once. Ollama answers
 * `{"error": "…"}` with a status (docs/api/errors.mdx): 404 is a model that is not pulled →
 * MODEL_UNAVAILABLE, which another deployment may serve; 400 is a bad request (or a model that
 * lacks a capability, e.g. tools or thinking) → a non-retryable MODEL_ERROR answered as 400, or
 * TOKEN_LIMIT_EXCEEDED when the input does not fit the context; 429 → RATE_LIMIT_EXCEEDED; 503 is
 * "server busy" (`OLLAMA_MAX_QUEUE` reached) → MODEL_UNAVAILABLE; 401/403 (ollama.com) and 5xx →
 * a retryable MODEL_ERROR. A mid-stream `{"error": …}` line has no status and counts as a 500.
 * Details carry Ollama's message (with the key masked should it echo it), never headers.
 */

import { GatewayError } from '../../core/errors.js';
import { isRecord, stringOr } from '../shared/json.js';
import { parseRetryAfterMs } from '../shared/retry-after.js';
import type { ErrorResponse, UpstreamTarget } from '../spec.js';

const MAX_MESSAGE_CHARS = 2000;
const NON_JSON_MESSAGE_CHARS = 300;

/** `{error: "…"}`; ollama.com and proxies in front of Ollama may nest it as `{error: {message}}`. */
function messageOf(payload: Record<string, unknown>): string | undefined {
  const error = payload.error;
  if (typeof error === 'string') return error;
  if (isRecord(error)) return stringOr(error.message);
  return undefined;
}

function parseErrorBody(body: string): string {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (isRecord(parsed)) {
        const message = messageOf(parsed);
        if (message !== undefined && message !== '') return message;
      }
    } catch {
      // Not JSON after all (a proxy's page): fall through to the raw text.
    }
  }
  // Gin answers an unknown route with plain text ("404 page not found").
  return body.slice(0, NON_JSON_MESSAGE_CHARS).trim();
}

function redact(text: string, apiKey: string | undefined): string {
  if (apiKey === undefined || apiKey.length < 8 || !text.includes(apiKey)) return text;
  return text.split(apiKey).join('***');
}

function isContextLengthError(message: string): boolean {
  const lower = message.toLowerCase();
  return lower.includes('context length') || lower.includes('context window');
}

function build(
  status: number,
  rawMessage: string,
  target: UpstreamTarget,
  retryAfterMs: number | undefined,
): GatewayError {
  const upstreamMessage = redact(rawMessage.slice(0, MAX_MESSAGE_CHARS), target.apiKey);
  const details = { provider: target.provider, upstream_status: status, upstream_message: upstreamMessage };
  const message =
    upstreamMessage === ''
      ? `upstream returned ${status}`
      : `upstream returned ${status}: ${upstreamMessage}`;
  const withWait = retryAfterMs === undefined ? { details } : { details, retryAfterMs };

  switch (status) {
    case 400:
    case 413:
    case 422:
      if (isContextLengthError(upstreamMessage)) {
        return new GatewayError('TOKEN_LIMIT_EXCEEDED', message, { details });
      }
      return new GatewayError('MODEL_ERROR', message, { details, status: 400, retryable: false });
    case 401:
    case 403:
      // Another deployment may hold valid credentials; the client's request was not at fault.
      return new GatewayError('MODEL_ERROR', message, { details, status: 502, retryable: true });
    case 404:
      return new GatewayError('MODEL_UNAVAILABLE', message, { ...withWait, retryable: true });
    case 408:
      return new GatewayError('TIMEOUT', message, { ...withWait, retryable: true });
    case 429:
      return new GatewayError('RATE_LIMIT_EXCEEDED', message, { ...withWait, status: 429, retryable: true });
    case 503:
      return new GatewayError('MODEL_UNAVAILABLE', message, { ...withWait, retryable: true });
    default:
      return new GatewayError('MODEL_ERROR', message, { ...withWait, status: 502, retryable: true });
  }
}

/** Classifies an HTTP error response (status ≥ 400) of an Ollama server. */
export function classifyOllamaError(response: ErrorResponse, target: UpstreamTarget): GatewayError {
  return build(response.status, parseErrorBody(response.body), target, parseRetryAfterMs(response.headers));
}

/** Classifies an `{"error": …}` sent with a 200: a stream line, or a whole body. */
export function classifyOllamaInBandError(
  payload: Record<string, unknown>,
  target: UpstreamTarget,
): GatewayError {
  return build(500, messageOf(payload) ?? '', target, undefined);
}
