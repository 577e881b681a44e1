import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';
import {
  buildOpenAIEmbeddingRequest,
  decodeBase64Embedding,
  parseOpenAIEmbeddingResponse,
} from './openai-embeddings.js';

const target: UpstreamTarget = {
  provider: 'openai',
  type: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  model: 'text-embedding-3-small',
  apiKey: 'sk-x',
};

describe('OpenAI embeddings', () => {
  it('builds the request body with input array, dimensions and user, never base64', () => {
    const http = buildOpenAIEmbeddingRequest(
      { model: 'emb', input: ['a', 'b'], dimensions: 256, encodingFormat: 'base64', user: 'u' },
      target,
    );
    expect(http.path).toBe('/v1/embeddings');
    expect(http.headers.authorization).toBe('Bearer sk-x');
    expect(JSON.parse(http.body ?? '')).toEqual({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      dimensions: 256,
      user: 'u',
    });
  });

  it('omits the model for an Azure deployment URL', () => {
    const http = buildOpenAIEmbeddingRequest(
      { model: 'emb', input: ['a'] },
      { ...target, type: 'azure', baseUrl: 'https://r.openai.azure.com', model: 'emb-dep' },
    );
    expect(http.path).toBe('/openai/deployments/emb-dep/embeddings?api-version=2024-10-21');
    expect(JSON.parse(http.body ?? '')).toEqual({ input: ['a'] });
  });

  it('parses the reference response', () => {
    const body = JSON.parse(
      readFileSync(new URL('./__fixtures__/embeddings-response.json', import.meta.url), 'utf8'),
    );
    expect(parseOpenAIEmbeddingResponse(body, target)).toEqual({
      model: 'text-embedding-3-small',
      embeddings: [
        [0.0023064255, -0.009327292, -0.0028842222],
        [0.5, -0.25, 0.125],
      ],
      usage: { inputTokens: 8, outputTokens: 0 },
    });
  });

  it('orders vectors by index and decodes base64 vectors', () => {
    const b64 = Buffer.alloc(8);
    b64.writeFloatLE(1.5, 0);
    b64.writeFloatLE(-2, 4);
    const result = parseOpenAIEmbeddingResponse(
      {
        data: [
          { index: 1, embedding: b64.toString('base64') },
          { index: 0, embedding: [3] },
        ],
        model: 'm',
      },
      target,
    );
    expect(result.embeddings).toEqual([[3], [1.5, -2]]);
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, estimated: true });
    expect(decodeBase64Embedding(b64.toString('base64'))).toEqual([1.5, -2]);
  });

  it('rejects malformed responses', () => {
    for (const body of [
      null,
      {},
      {
        data: [
          { index: 0, embedding: 'x'.repeat(3) },
          { index: 0, embedding: [1] },
        ],
      },
      { data: [{ index: 5, embedding: [1] }] },
      { data: [{ index: 0, embedding: ['a'] }] },
    ]) {
      expect(() => parseOpenAIEmbeddingResponse(body, target)).toThrow(GatewayError);
    }
  });
});
