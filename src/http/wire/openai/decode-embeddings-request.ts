/**
 * @module http/wire/openai/decode-embeddings-request
 * An OpenAI `POST /v1/embeddings` body → canonical EmbeddingRequest. `input` is a string or an
 * array of strings; token-id arrays are rejected because the gateway routes across providers
 * whose tokenizers differ, so token ids mean nothing past the first hop.
 */

import type { EmbeddingRequest } from '../../../core/chat.js';
import { decodeRoutingOptions } from './decode-routing-options.js';
import {
  expectNonEmptyString,
  expectPositiveInteger,
  expectString,
  fail,
  isAbsent,
  isRecord,
} from './field-checks.js';

/** OpenAI's own limit on inputs per request. */
const MAX_INPUTS = 2048;
const TOKEN_ARRAYS = 'token arrays are not supported; send text';

function decodeInput(value: unknown): string[] {
  if (typeof value === 'string') {
    if (value === '') fail('input', 'expected a non-empty string');
    return [value];
  }
  if (!Array.isArray(value)) fail('input', 'expected a string or an array of strings');
  if (value.length === 0) fail('input', 'expected at least one input');
  if (value.length > MAX_INPUTS) fail('input', `at most ${MAX_INPUTS} inputs are allowed`);
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    if (typeof item === 'number' || Array.isArray(item)) fail('input', TOKEN_ARRAYS);
    if (typeof item !== 'string') fail(`input[${i}]`, 'expected a string');
    if (item === '') fail(`input[${i}]`, 'expected a non-empty string');
  }
  return value as string[];
}

export function decodeEmbeddingsRequest(body: unknown): EmbeddingRequest {
  if (!isRecord(body)) fail('body', 'expected a JSON object');
  const request: EmbeddingRequest = {
    model: expectNonEmptyString(body.model, 'model', 256),
    input: decodeInput(body.input),
  };
  if (!isAbsent(body.dimensions))
    request.dimensions = expectPositiveInteger(body.dimensions, 'dimensions', 65_536);
  const format = body.encoding_format;
  if (!isAbsent(format)) {
    if (format !== 'float' && format !== 'base64') fail('encoding_format', 'expected one of float, base64');
    request.encodingFormat = format;
  }
  if (!isAbsent(body.user)) request.user = expectString(body.user, 'user');
  const routing = decodeRoutingOptions(body.switchyard);
  if (routing !== undefined) request.routing = routing;
  return request;
}
