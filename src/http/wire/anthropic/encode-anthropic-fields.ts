/**
 * @module http/wire/anthropic/encode-anthropic-fields
 * Canonical values → the Anthropic wire fields that responses, streams and errors share.
 *
 * - The stop reason follows the unified reason, keeping the provider's own word when it is the
 *   Anthropic value for that reason (`stop_sequence`, `model_context_window_exceeded`,
 *   `pause_turn`); an OpenAI `stop` is `end_turn`, `length` is `max_tokens`, a content filter is
 *   `refusal`.
 * - Usage splits the prompt back into Anthropic's three disjoint classes: uncached
 *   `input_tokens`, `cache_read_input_tokens` and `cache_creation_input_tokens`.
 * - Errors: DESIGN.md's envelope is `{error: {code, message, type, details}}`; on `/v1/messages` the
 *   gateway answers Anthropic's `{type: 'error', error: {type, message}}` instead — with the
 *   gateway's `code` and `details` added inside `error` — so the Anthropic SDK reads the type and
 *   message as it would from Anthropic, and nothing of the gateway's contract is lost. The type is
 *   Anthropic's word for the HTTP status (429 `rate_limit_error`, 503 `overloaded_error`, …).
 */

import type { GatewayError } from '../../../core/errors.js';
import type { FinishReason } from '../../../core/finish-reason.js';
import type { Usage } from '../../../core/usage.js';

export type AnthropicStopReason =
  | 'end_turn'
  | 'stop_sequence'
  | 'max_tokens'
  | 'model_context_window_exceeded'
  | 'tool_use'
  | 'refusal'
  | 'pause_turn';

export function encodeStopReason(reason: FinishReason): AnthropicStopReason {
  switch (reason.unified) {
    case 'stop':
      return reason.raw === 'stop_sequence' ? 'stop_sequence' : 'end_turn';
    case 'length':
      return reason.raw === 'model_context_window_exceeded' ? 'model_context_window_exceeded' : 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      // `other` and `error` that still ended a complete answer: only pause_turn has a name here.
      return reason.raw === 'pause_turn' ? 'pause_turn' : 'end_turn';
  }
}

export interface AnthropicWireUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}

export function encodeUsage(usage: Usage): AnthropicWireUsage {
  const read = usage.cachedInputTokens ?? 0;
  const write = usage.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - read - write),
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    output_tokens: usage.outputTokens,
  };
}

export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

export interface AnthropicErrorEnvelope {
  type: 'error';
  error: { type: string; message: string; code: string; details?: Record<string, unknown> };
  request_id?: string;
}

/** Anthropic's error body for `error`; pass it through the redactor before it leaves with details. */
export function encodeAnthropicError(
  error: GatewayError,
  requestId?: string,
  withDetails = true,
): AnthropicErrorEnvelope {
  const body: AnthropicErrorEnvelope = {
    type: 'error',
    error: { type: anthropicErrorType(error.status), message: error.message, code: error.code },
  };
  if (withDetails && error.details !== undefined) body.error.details = error.details;
  if (requestId !== undefined) body.request_id = requestId;
  return body;
}
