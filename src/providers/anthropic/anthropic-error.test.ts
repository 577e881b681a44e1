import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ErrorResponse, UpstreamTarget } from '../spec.js';
import {
  classifyAnthropicError,
  classifyAnthropicInBandError,
  parseAnthropicRetryAfterMs,
} from './anthropic-error.js';

const target: UpstreamTarget = {
  provider: 'anthropic',
  type: 'anthropic',
  baseUrl: 'https://api.anthropic.com',
  model: 'claude-sonnet-4-20250514',
  apiKey: 'sk-ant-api03-AbCdEfGhIjKlMnOp',
};

function fixture(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
}

function classify(status: number, body: string, headers: ErrorResponse['headers'] = {}) {
  return classifyAnthropicError({ status, headers, body }, target);
}

describe('classifyAnthropicError', () => {
  it('maps each documented error type to a gateway code, status and retryability', () => {
    const cases: [number, string, string, number, boolean][] = [
      [529, 'error-overloaded.json', 'MODEL_UNAVAILABLE', 503, true],
      [429, 'error-rate-limit.json', 'RATE_LIMIT_EXCEEDED', 429, true],
      [400, 'error-prompt-too-long.json', 'TOKEN_LIMIT_EXCEEDED', 400, false],
      [400, 'error-invalid-request.json', 'MODEL_ERROR', 400, false],
      [401, 'error-authentication.json', 'MODEL_ERROR', 502, true],
      [404, 'error-not-found.json', 'MODEL_UNAVAILABLE', 503, true],
      [500, 'error-api.json', 'MODEL_ERROR', 502, true],
    ];
    for (const [status, name, code, gatewayStatus, retryable] of cases) {
      const error = classify(status, fixture(name));
      expect({ code: error.code, status: error.status, retryable: error.retryable }, name).toEqual({
        code,
        status: gatewayStatus,
        retryable,
      });
      expect(error.details).toMatchObject({ provider: 'anthropic', upstream_status: status });
    }
  });

  it('keeps the upstream message and type, and masks keys out of it', () => {
    const error = classify(401, fixture('error-authentication.json'));
    expect(error.details).toEqual({
      provider: 'anthropic',
      upstream_status: 401,
      upstream_type: 'authentication_error',
      upstream_message: 'invalid x-api-key ***',
    });
    expect(JSON.stringify(error.toJSON())).not.toContain('AbCdEf');
  });

  it('waits as retry-after says on a 429', () => {
    const error = classify(429, fixture('error-rate-limit.json'), { 'retry-after': '7' });
    expect(error.retryAfterMs).toBe(7000);
  });

  it('classifies bodies without an error type by status', () => {
    expect(classify(529, '').code).toBe('MODEL_UNAVAILABLE');
    expect(classify(413, '<html>413 Request Entity Too Large</html>').code).toBe('PAYLOAD_TOO_LARGE');
    expect(classify(502, '<html>Bad gateway</html>')).toMatchObject({ code: 'MODEL_ERROR', retryable: true });
    expect(classify(504, '')).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(classify(422, '{"detail":"bad"}')).toMatchObject({
      code: 'MODEL_ERROR',
      status: 400,
      retryable: false,
    });
  });

  it('classifies in-band errors by their type', () => {
    const overloaded = classifyAnthropicInBandError(JSON.parse(fixture('error-overloaded.json')), target);
    expect(overloaded).toMatchObject({ code: 'MODEL_UNAVAILABLE', retryable: true });
    expect(overloaded.details).toMatchObject({ upstream_status: 529 });
    const api = classifyAnthropicInBandError(
      { type: 'error', error: { type: 'api_error', message: 'x' } },
      target,
    );
    expect(api).toMatchObject({ code: 'MODEL_ERROR', retryable: true });
    const unknown = classifyAnthropicInBandError({ type: 'error' }, target);
    expect(unknown).toMatchObject({ code: 'MODEL_ERROR', status: 502 });
  });
});

describe('parseAnthropicRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('prefers retry-after seconds', () => {
    expect(
      parseAnthropicRetryAfterMs(
        { 'retry-after': '2', 'anthropic-ratelimit-requests-reset': '2025-01-01T00:01:00Z' },
        now,
      ),
    ).toBe(2000);
  });

  it('uses the reset of the exhausted limit', () => {
    expect(
      parseAnthropicRetryAfterMs(
        {
          'anthropic-ratelimit-requests-remaining': '12',
          'anthropic-ratelimit-requests-reset': '2025-01-01T00:00:50Z',
          'anthropic-ratelimit-input-tokens-remaining': '0',
          'anthropic-ratelimit-input-tokens-reset': '2025-01-01T00:00:05Z',
        },
        now,
      ),
    ).toBe(5000);
  });

  it('uses the latest reset when none says it is exhausted, and nothing without headers', () => {
    expect(
      parseAnthropicRetryAfterMs(
        {
          'anthropic-ratelimit-requests-reset': '2025-01-01T00:00:03Z',
          'anthropic-ratelimit-tokens-reset': '2025-01-01T00:00:09Z',
        },
        now,
      ),
    ).toBe(9000);
    expect(parseAnthropicRetryAfterMs({}, now)).toBeUndefined();
    expect(parseAnthropicRetryAfterMs({ 'anthropic-ratelimit-tokens-reset': 'soon' }, now)).toBeUndefined();
  });
});
