import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';
import { buildOllamaEmbeddingRequest, parseOllamaEmbeddingResponse } from './ollama-embeddings.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

const target: UpstreamTarget = {
  provider: 'ollama',
  type: 'ollama',
  baseUrl: 'http://127.0.0.1:11434',
  model: 'all-minilm',
};

describe('Ollama embeddings', () => {
  it('posts the inputs to /api/embed, with dimensions when asked', () => {
    const http = buildOllamaEmbeddingRequest(
      {
        model: 'embed',
        input: ['Why is the sky blue?', 'Why is the grass green?'],
        encodingFormat: 'base64',
      },
      target,
    );
    expect(http).toMatchObject({ origin: 'http://127.0.0.1:11434', method: 'POST', path: '/api/embed' });
    expect(http.headers).toEqual({ accept: 'application/json', 'content-type': 'application/json' });
    expect(JSON.parse(http.body!)).toEqual({
      model: 'all-minilm',
      input: ['Why is the sky blue?', 'Why is the grass green?'],
    });
    const sized = buildOllamaEmbeddingRequest({ model: 'embed', input: ['x'], dimensions: 64 }, target);
    expect(JSON.parse(sized.body!)).toEqual({ model: 'all-minilm', input: ['x'], dimensions: 64 });
  });

  it('parses the reference response, with its prompt count as usage', () => {
    const result = parseOllamaEmbeddingResponse(fixture('embed-response.json'), target);
    expect(result.model).toBe('all-minilm');
    expect(result.embeddings).toHaveLength(1);
    expect(result.embeddings[0]).toHaveLength(10);
    expect(result.embeddings[0]![1]).toBe(-0.0017594862);
    expect(result.usage).toEqual({ inputTokens: 8, outputTokens: 0 });
  });

  it('leaves usage to the gateway when the response has no count', () => {
    const result = parseOllamaEmbeddingResponse(fixture('embed-response-multiple.json'), target);
    expect(result.embeddings).toHaveLength(2);
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, estimated: true });
  });

  it('rejects malformed bodies and classifies an in-band error', () => {
    for (const body of [null, { embeddings: 'x' }, { embeddings: [[1, 'a']] }, { model: 'm' }]) {
      expect(() => parseOllamaEmbeddingResponse(body, target), JSON.stringify(body)).toThrow(
        expect.objectContaining({ code: 'INVALID_RESPONSE' }),
      );
    }
    expect(() =>
      parseOllamaEmbeddingResponse({ error: 'input length exceeds the context length' }, target),
    ).toThrow(GatewayError);
  });
});
