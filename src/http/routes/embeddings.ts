/**
 * @module http/routes/embeddings
 * `POST /v1/embeddings`, OpenAI wire.
 */

import { toGatewayError } from '../../core/errors.js';
import { readJsonBody } from '../body.js';
import type { HttpContext } from '../context.js';
import { sendError, sendJson } from '../respond.js';
import { decodeEmbeddingsRequest } from '../wire/openai/decode-embeddings-request.js';
import { encodeEmbeddingsResponse } from '../wire/openai/encode-embeddings-response.js';
import { newContext, servedHeaders } from './chat-completions.js';

export async function embeddings(http: HttpContext): Promise<void> {
  const body = await readJsonBody(http.req, http.bodyLimitBytes);
  const request = decodeEmbeddingsRequest(body);
  const context = newContext(http, 'embeddings');
  try {
    const outcome = await http.gateway.embed(request, context);
    const encoded = encodeEmbeddingsResponse(outcome.result, {
      model: outcome.model.name,
      encodingFormat: request.encodingFormat ?? 'float',
    });
    sendJson(http.res, 200, encoded, servedHeaders(context, outcome, outcome.settlement.costNanos));
  } catch (error) {
    sendError(http.res, toGatewayError(error), http.gateway.redactor, {
      'x-switchyard-request-id': context.requestId,
    });
  }
}
