import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { UpstreamTarget } from '../spec.js';
import { buildGeminiEmbeddingRequest, parseGeminiEmbeddingResponse } from './gemini-embeddings.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

const target: UpstreamTarget = {
  provider: 'google',
  type: 'gemini',
  baseUrl: 'https://generativelanguage.googleapis.com',
  model: 'gemini-embedding-001',
  apiKey: 'AIzaSyKEY',
};

describe('buildGeminiEmbeddingRequest', () => {
  it('uses embedContent for one input', () => {
    const request = buildGeminiEmbeddingRequest({ model: 'e', input: ['hello'], dimensions: 768 }, target);
    expect(request.path).toBe('/v1beta/models/gemini-embedding-001:embedContent');
    expect(request.headers['x-goog-api-key']).toBe('AIzaSyKEY');
    expect(JSON.parse(request.body ?? '')).toEqual({
      model: 'models/gemini-embedding-001',
      content: { parts: [{ text: 'hello' }] },
      outputDimensionality: 768,
    });
  });

  it('uses batchEmbedContents for several, each naming the model', () => {
    const request = buildGeminiEmbeddingRequest({ model: 'e', input: ['a', 'b'] }, target);
    expect(request.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(JSON.parse(request.body ?? '')).toEqual({
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] } },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] } },
      ],
    });
  });
});

describe('parseGeminiEmbeddingResponse', () => {
  it('reads one embedding, usage left for the gateway to estimate', () => {
    expect(parseGeminiEmbeddingResponse(fixture('embed-content-response.json'), target)).toEqual({
      model: 'gemini-embedding-001',
      embeddings: [[-0.0134, 0.0071, 0.0217, -0.0452, 0.0098, 0.0333, -0.0019, 0.0145]],
      usage: { inputTokens: 0, outputTokens: 0, estimated: true },
    });
  });

  it('reads a batch in order', () => {
    const result = parseGeminiEmbeddingResponse(fixture('batch-embed-contents-response.json'), target);
    expect(result.embeddings).toEqual([
      [0.0212, -0.0061, 0.0137, -0.0302],
      [-0.0188, 0.0149, 0.0045, 0.0271],
    ]);
  });

  it('uses a reported prompt count when there is one', () => {
    const result = parseGeminiEmbeddingResponse(
      { embedding: { values: [1] }, usageMetadata: { promptTokenCount: 4 } },
      target,
    );
    expect(result.usage).toEqual({ inputTokens: 4, outputTokens: 0 });
  });

  it.each([
    ['no vectors', {}],
    ['a vector of strings', { embedding: { values: ['x'] } }],
    ['a batch item without values', { embeddings: [{}] }],
  ])('rejects %s', (_name, body) => {
    expect(() => parseGeminiEmbeddingResponse(body, target)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
  });

  it('classifies an error body', () => {
    expect(() =>
      parseGeminiEmbeddingResponse(
        { error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } },
        target,
      ),
    ).toThrow(expect.objectContaining({ code: 'RATE_LIMIT_EXCEEDED' }));
  });
});
