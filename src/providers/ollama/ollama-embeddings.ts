/**
 * @module providers/ollama/ollama-embeddings
 * Canonical EmbeddingRequest ⇄ Ollama's `POST /api/embed`: `{model, input: [...], dimensions?}`
 * → `{embeddings: number[][], prompt_eval_count}`. Ollama truncates inputs that exceed the
 * context by default, as it documents; the gateway leaves that default alone. Floats only: a
 * client that wanted base64 gets it from the ingress encoder.
 */

import type { EmbeddingRequest, EmbeddingResult } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { isRecord, stringOr } from '../shared/json.js';
import type { HttpRequest, UpstreamTarget } from '../spec.js';
import { mapOllamaUsage } from './map-ollama-usage.js';
import type { OllamaEmbedRequestBody } from './ollama-chat-api.js';
import { resolveOllamaEndpoint } from './ollama-endpoint.js';
import { classifyOllamaInBandError } from './ollama-error.js';

export function buildOllamaEmbeddingRequest(request: EmbeddingRequest, target: UpstreamTarget): HttpRequest {
  const endpoint = resolveOllamaEndpoint(target, 'embed', false);
  const body: OllamaEmbedRequestBody = { model: target.model, input: request.input };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  return {
    origin: endpoint.origin,
    method: 'POST',
    path: endpoint.path,
    headers: endpoint.headers,
    body: JSON.stringify(body),
  };
}

function invalid(target: UpstreamTarget, reason: string): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `invalid embeddings response from upstream: ${reason}`, {
    details: { provider: target.provider },
  });
}

function isVector(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  for (const x of value) if (typeof x !== 'number') return false;
  return true;
}

export function parseOllamaEmbeddingResponse(body: unknown, target: UpstreamTarget): EmbeddingResult {
  if (!isRecord(body)) throw invalid(target, 'the body is not a JSON object');
  if (body.error !== undefined && body.error !== null && body.embeddings === undefined) {
    throw classifyOllamaInBandError(body, target);
  }
  const embeddings = body.embeddings;
  if (!Array.isArray(embeddings)) throw invalid(target, 'embeddings is missing');
  for (let i = 0; i < embeddings.length; i++) {
    if (!isVector(embeddings[i])) throw invalid(target, `embeddings[${i}] is not a vector`);
  }
  const model = stringOr(body.model);
  return {
    model: model === undefined || model === '' ? target.model : model,
    embeddings: embeddings as number[][],
    usage: mapOllamaUsage(body),
  };
}
