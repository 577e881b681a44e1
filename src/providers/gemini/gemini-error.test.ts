import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { UpstreamTarget } from '../spec.js';
import { classifyGeminiError, classifyGeminiInBandError, parseDurationMs } from './gemini-error.js';

function fixtureText(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
}

const target: UpstreamTarget = {
  provider: 'google',
  type: 'gemini',
  baseUrl: 'https://generativelanguage.googleapis.com',
  model: 'gemini-2.5-flash',
  apiKey: 'AIzaSyA-SECRET-SECRET-SECRET-0123456',
};

describe('classifyGeminiError', () => {
  it.each([
    // status, fixture, code, client status, retryable
    [429, 'error-rate-limit.json', 'RATE_LIMIT_EXCEEDED', 429, true],
    [400, 'error-invalid-argument.json', 'MODEL_ERROR', 400, false],
    [400, 'error-token-limit.json', 'TOKEN_LIMIT_EXCEEDED', 400, false],
    [400, 'error-api-key-invalid.json', 'MODEL_ERROR', 502, true],
    [400, 'error-failed-precondition.json', 'MODEL_ERROR', 502, true],
    [403, 'error-permission-denied.json', 'MODEL_ERROR', 502, true],
    [404, 'error-not-found.json', 'MODEL_UNAVAILABLE', 503, true],
    [503, 'error-unavailable.json', 'MODEL_UNAVAILABLE', 503, true],
    [500, 'error-internal.json', 'MODEL_ERROR', 502, true],
    [504, 'error-deadline-exceeded.json', 'TIMEOUT', 504, true],
  ] as const)('%i %s → %s', (status, name, code, clientStatus, retryable) => {
    const error = classifyGeminiError({ status, headers: {}, body: fixtureText(name) }, target);
    expect(error.code).toBe(code);
    expect(error.status).toBe(clientStatus);
    expect(error.retryable).toBe(retryable);
    expect(error.details).toMatchObject({ provider: 'google', upstream_status: status });
  });

  it.each([
    [
      401,
      '{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}',
      'MODEL_ERROR',
      502,
    ],
    [502, '<html><title>502 Bad Gateway</title></html>', 'MODEL_ERROR', 502],
    [503, '', 'MODEL_UNAVAILABLE', 503],
    [
      499,
      '{"error":{"code":499,"message":"The operation was cancelled.","status":"CANCELLED"}}',
      'MODEL_ERROR',
      502,
    ],
  ] as const)('%i without a fixture → %s', (status, body, code, clientStatus) => {
    const error = classifyGeminiError({ status, headers: {}, body }, target);
    expect(error.code).toBe(code);
    expect(error.status).toBe(clientStatus);
    expect(error.retryable).toBe(true);
  });

  it('waits as RetryInfo asks, before Retry-After', () => {
    const error = classifyGeminiError(
      { status: 429, headers: { 'retry-after': '5' }, body: fixtureText('error-rate-limit.json') },
      target,
    );
    expect(error.retryAfterMs).toBe(38_000);
    const headerOnly = classifyGeminiError(
      {
        status: 429,
        headers: { 'retry-after': '5' },
        body: '{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}',
      },
      target,
    );
    expect(headerOnly.retryAfterMs).toBe(5000);
  });

  it("keeps Google's message and status name, never headers or keys", () => {
    const error = classifyGeminiError(
      {
        status: 400,
        headers: { 'x-goog-api-key': target.apiKey, 'set-cookie': 'secret' },
        body: JSON.stringify({
          error: {
            code: 400,
            message: `bad key ${target.apiKey} and AIzaSyOTHERKEY123456789`,
            status: 'INVALID_ARGUMENT',
          },
        }),
      },
      target,
    );
    expect(error.details).toEqual({
      provider: 'google',
      upstream_status: 400,
      upstream_code: 'INVALID_ARGUMENT',
      upstream_message: 'bad key *** and AIza***',
    });
    expect(JSON.stringify(error.toJSON())).not.toContain('SECRET');
    expect(JSON.stringify(error.toJSON())).not.toContain('set-cookie');
  });

  it('reads the error of a stream answered without SSE framing (a JSON array)', () => {
    const error = classifyGeminiError(
      { status: 429, headers: {}, body: `[${fixtureText('error-rate-limit.json')}]` },
      target,
    );
    expect(error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(error.retryAfterMs).toBe(38_000);
  });
});

describe('classifyGeminiInBandError', () => {
  it('takes the status from the payload', () => {
    expect(
      classifyGeminiInBandError(
        { error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } },
        target,
      ).code,
    ).toBe('RATE_LIMIT_EXCEEDED');
    expect(
      classifyGeminiInBandError({ error: { message: 'hm', status: 'DEADLINE_EXCEEDED' } }, target).code,
    ).toBe('TIMEOUT');
    expect(classifyGeminiInBandError({ error: 'odd' }, target)).toMatchObject({
      code: 'MODEL_ERROR',
      status: 502,
    });
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['38s', 38_000],
    ['0.5s', 500],
    ['1.000000001s', 1001],
    [{ seconds: '2', nanos: 500_000_000 }, 2500],
    ['5m', undefined],
    ['-1s', undefined],
  ] as const)('%j → %s', (value, ms) => {
    expect(parseDurationMs(value)).toBe(ms);
  });
});
