import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../core/errors.js';
import type { ErrorResponse, UpstreamTarget } from '../spec.js';
import { classifyOllamaError, classifyOllamaInBandError } from './ollama-error.js';

function fixtureText(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
}

const target: UpstreamTarget = {
  provider: 'local-ollama',
  type: 'ollama',
  baseUrl: 'https://ollama.com',
  model: 'llama3.2',
  apiKey: 'ollama-secret-key-0123456789',
};

function classify(status: number, body: string, headers: ErrorResponse['headers'] = {}) {
  return classifyOllamaError({ status, headers, body }, target);
}

describe('classifyOllamaError', () => {
  const table: [number, string, ErrorCode, number, boolean][] = [
    [404, 'error-model-not-found.json', 'MODEL_UNAVAILABLE', 503, true],
    [400, 'error-bad-request.json', 'MODEL_ERROR', 400, false],
    [503, 'error-server-busy.json', 'MODEL_UNAVAILABLE', 503, true],
    [429, 'error-server-busy.json', 'RATE_LIMIT_EXCEEDED', 429, true],
    [500, 'error-bad-request.json', 'MODEL_ERROR', 502, true],
    [502, 'error-bad-request.json', 'MODEL_ERROR', 502, true],
    [401, 'error-bad-request.json', 'MODEL_ERROR', 502, true],
    [408, 'error-bad-request.json', 'TIMEOUT', 504, true],
  ];
  for (const [status, file, code, httpStatus, retryable] of table) {
    it(`maps ${status} (${file}) to ${code}`, () => {
      const error = classify(status, fixtureText(file));
      expect(error.code).toBe(code);
      expect(error.status).toBe(httpStatus);
      expect(error.retryable).toBe(retryable);
      expect(error.details).toMatchObject({ provider: 'local-ollama', upstream_status: status });
    });
  }

  it("carries Ollama's message for a model that is not pulled", () => {
    const error = classify(404, fixtureText('error-model-not-found.json'));
    expect(error.message).toBe("upstream returned 404: model 'llama3.3' not found");
    expect(error.details).toEqual({
      provider: 'local-ollama',
      upstream_status: 404,
      upstream_message: "model 'llama3.3' not found",
    });
  });

  it('reads a context-length 400 as TOKEN_LIMIT_EXCEEDED', () => {
    const error = classify(400, '{"error":"the input length exceeds the context length"}');
    expect(error.code).toBe('TOKEN_LIMIT_EXCEEDED');
    expect(error.retryable).toBe(false);
  });

  it('keeps a plain-text body (an unknown route) and honours Retry-After', () => {
    const error = classify(404, '404 page not found', { 'retry-after': '2' });
    expect(error.details).toMatchObject({ upstream_message: '404 page not found' });
    expect(error.retryAfterMs).toBe(2000);
  });

  it('masks the key should a proxy echo it, and never carries headers', () => {
    const error = classify(401, '{"error":{"message":"invalid key ollama-secret-key-0123456789"}}', {
      authorization: 'Bearer ollama-secret-key-0123456789',
    });
    expect(JSON.stringify(error.toJSON())).not.toContain('ollama-secret-key-0123456789');
    expect(error.details).toMatchObject({ upstream_message: 'invalid key ***' });
  });

  it('treats a mid-stream error line as a retryable server error', () => {
    const error = classifyOllamaInBandError(
      { error: 'an error was encountered while running the model' },
      target,
    );
    expect(error.code).toBe('MODEL_ERROR');
    expect(error.status).toBe(502);
    expect(error.details).toMatchObject({ upstream_status: 500 });
  });
});
