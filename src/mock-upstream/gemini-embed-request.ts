/**
 * @module mock-upstream/gemini-embed-request
 * Decodes `:embedContent` and `:batchEmbedContents` requests, rejecting what the Gemini API
 * rejects: no text, a batch model other than the URL's, more than 100 requests, mixed or
 * out-of-range `outputDimensionality`.
 */

import { isProblemValue, isRecord, partsText, problem } from './gemini-request.js';
import { isGeminiRoute } from './gemini-route.js';
import type { DecodedEmbeddings, WireProblem, WireRoute } from './wire.js';

const MAX_BATCH = 100;

export interface GeminiDecodedEmbeddings extends DecodedEmbeddings {
  /** `batchEmbedContents` (answered `{embeddings}`) rather than `embedContent` (`{embedding}`). */
  readonly batch: boolean;
}

function embedInput(
  request: unknown,
  at: string,
): { text: string; dimensions: unknown; model: unknown } | WireProblem {
  if (!isRecord(request)) return problem(`* ${at}: must be an object`, at);
  const content = request['content'];
  const text = isRecord(content) ? partsText(content['parts']) : '';
  if (text === '')
    return problem(`* ${at}.content: content must have at least one text part.`, `${at}.content`);
  return { text, dimensions: request['outputDimensionality'], model: request['model'] };
}

export function decodeGeminiEmbeddings(
  body: unknown,
  route: WireRoute,
): GeminiDecodedEmbeddings | WireProblem {
  if (!isRecord(body)) return problem('Invalid JSON payload received. Expected an object.');
  const model = route.model ?? '';
  const batch = isGeminiRoute(route) && route.method === 'batchEmbedContents';
  const resource = `models/${model}`;
  let items: unknown[];
  if (batch) {
    const requests = body['requests'];
    if (!Array.isArray(requests) || requests.length === 0) {
      return problem('* BatchEmbedContentsRequest.requests: requests is not specified', 'requests');
    }
    if (requests.length > MAX_BATCH) {
      return problem(
        `* BatchEmbedContentsRequest.requests: at most ${MAX_BATCH} requests can be in one batch.`,
        'requests',
      );
    }
    items = requests;
  } else {
    items = [body];
  }
  const inputs: string[] = [];
  let dimensions: unknown;
  for (let i = 0; i < items.length; i++) {
    const at = batch ? `BatchEmbedContentsRequest.requests[${i}]` : 'EmbedContentRequest';
    const item = embedInput(items[i], at);
    if (isProblemValue(item)) return item;
    if ((batch || item.model !== undefined) && item.model !== resource) {
      return problem(`* ${at}.model: the model must be ${resource}, as in the URL.`, `${at}.model`);
    }
    if (i > 0 && item.dimensions !== dimensions) {
      return problem(
        `* ${at}.output_dimensionality: every request must ask for the same dimensionality.`,
        at,
      );
    }
    dimensions = item.dimensions;
    inputs.push(item.text);
  }
  if (
    dimensions !== undefined &&
    !(Number.isInteger(dimensions) && (dimensions as number) >= 1 && (dimensions as number) <= 8192)
  ) {
    return problem(
      '* EmbedContentRequest.output_dimensionality: must be from 1 to 8192.',
      'outputDimensionality',
    );
  }
  return { model, inputs, dimensions: dimensions as number | undefined, base64: false, batch };
}
