/**
 * @module providers/anthropic/anthropic-adapter
 * The Anthropic Messages protocol as a ProviderAdapter: `POST {base}/v1/messages` with
 * `x-api-key` and `anthropic-version`, server-sent events in Anthropic's event vocabulary, and
 * Anthropic's error bodies. Anthropic has no embeddings endpoint, so the adapter has none: the
 * executor then answers that the model does not serve embeddings. The health probe is
 * `GET /v1/models`, which costs nothing. Pure translation: no I/O, no state outside a decoder.
 */

import type { HttpRequest, ProviderAdapter, UpstreamTarget } from '../spec.js';
import { resolveAnthropicEndpoint } from './anthropic-endpoint.js';
import { classifyAnthropicError } from './anthropic-error.js';
import { buildAnthropicMessagesRequest } from './anthropic-messages-request.js';
import { parseAnthropicMessagesResponse } from './anthropic-messages-response.js';
import { createAnthropicStreamDecoder } from './anthropic-stream-decoder.js';

function buildProbeRequest(target: UpstreamTarget): HttpRequest {
  const endpoint = resolveAnthropicEndpoint(target, 'models', 'application/json', false);
  return { origin: endpoint.origin, method: 'GET', path: endpoint.path, headers: endpoint.headers };
}

export function createAnthropicAdapter(): ProviderAdapter {
  return {
    protocol: 'anthropic',
    streamFraming: 'sse',
    buildChatRequest: buildAnthropicMessagesRequest,
    parseChatResponse: parseAnthropicMessagesResponse,
    createStreamDecoder: createAnthropicStreamDecoder,
    buildProbeRequest,
    classifyError: classifyAnthropicError,
  };
}
