/**
 * @module providers/gemini/gemini-embeddings
 * Canonical EmbeddingRequest ⇄ Gemini embeddings: `models/{m}:embedContent` for one input,
 * `models/{m}:batchEmbedContents` for several (each request names the same model, as the API
 * requires), `dimensions` as `outputDimensionality`. The Gemini API reports no token usage for
 * embeddings: the result's usage is zeros marked `estimated` unless a `usageMetadata` with a
 * prompt count is present (Vertex-style answers carry one).
 */

import type { EmbeddingRequest, EmbeddingResult } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import { isRecord, numberOr } from '../shared/json.js';
import type { HttpRequest, UpstreamTarget } from '../spec.js';
import type { GeminiBatchEmbedContentsRequest, GeminiEmbedContentRequest } from './gemini-api.js';
import { geminiModelResource, geminiPost, modelId } from './gemini-endpoint.js';
import { classifyGeminiInBandError } from './gemini-error.js';
import { unreportedUsage } from './map-gemini-usage.js';

function embedRequest(
  text: string,
  model: string,
  dimensions: number | undefined,
): GeminiEmbedContentRequest {
  const request: GeminiEmbedContentRequest = { model, content: { parts: [{ text }] } };
  if (dimensions !== undefined) request.outputDimensionality = dimensions;
  return request;
}

export function buildGeminiEmbeddingRequest(request: EmbeddingRequest, target: UpstreamTarget): HttpRequest {
  const model = geminiModelResource(target);
  if (request.input.length === 1) {
    const single = embedRequest(request.input[0]!, model, request.dimensions);
    return geminiPost(target, 'embedContent', JSON.stringify(single));
  }
  const batch: GeminiBatchEmbedContentsRequest = { requests: new Array(request.input.length) };
  for (let i = 0; i < request.input.length; i++) {
    batch.requests[i] = embedRequest(request.input[i]!, model, request.dimensions);
  }
  return geminiPost(target, 'batchEmbedContents', JSON.stringify(batch));
}

function invalid(target: UpstreamTarget, reason: string): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `invalid embeddings response from upstream: ${reason}`, {
    details: { provider: target.provider },
  });
}

function vectorOf(value: unknown, path: string, target: UpstreamTarget): number[] {
  const values = isRecord(value) ? value.values : undefined;
  if (!Array.isArray(values) || !values.every((x) => typeof x === 'number')) {
    throw invalid(target, `${path}.values is not a vector`);
  }
  return values as number[];
}

export function parseGeminiEmbeddingResponse(body: unknown, target: UpstreamTarget): EmbeddingResult {
  if (!isRecord(body)) throw invalid(target, 'the body is not a JSON object');
  if (isRecord(body.error)) throw classifyGeminiInBandError(body, target);
  let embeddings: number[][];
  if (body.embedding !== undefined) {
    embeddings = [vectorOf(body.embedding, 'embedding', target)];
  } else if (Array.isArray(body.embeddings)) {
    const list = body.embeddings;
    embeddings = new Array(list.length);
    for (let i = 0; i < list.length; i++) embeddings[i] = vectorOf(list[i], `embeddings[${i}]`, target);
  } else {
    throw invalid(target, 'embedding and embeddings are both missing');
  }
  const prompt = isRecord(body.usageMetadata) ? numberOr(body.usageMetadata.promptTokenCount) : undefined;
  const usage = prompt === undefined ? unreportedUsage() : { inputTokens: prompt, outputTokens: 0 };
  return { model: modelId(target.model), embeddings, usage };
}
