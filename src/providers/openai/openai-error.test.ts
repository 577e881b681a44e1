import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { UpstreamTarget } from '../spec.js';
import { classifyOpenAIError, parseDurationMs, parseRetryAfterMs } from './openai-error.js';

function fixtureText(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
}

const target: UpstreamTarget = {
  provider: 'openai-main',
  type: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-mini',
  apiKey: 'sk-proj-SECRETSECRETSECRET',
};

const OPENAI_500 =
  '{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}';

describe('classifyOpenAIError', () => {
  it.each([
    // status, body, code, client status, retryable
    [429, fixtureText('error-rate-limit.json'), 'RATE_LIMIT_EXCEEDED', 429, true],
    [400, fixtureText('error-context-length.json'), 'TOKEN_LIMIT_EXCEEDED', 400, false],
    [400, fixtureText('error-azure-content-filter.json'), 'MODEL_ERROR', 400, false],
    [
      400,
      '{"error":{"message":"Invalid value for temperature","type":"invalid_request_error"}}',
      'MODEL_ERROR',
      400,
      false,
    ],
    [422, fixtureText('error-tgi-validation.json'), 'MODEL_ERROR', 400, false],
    [401, fixtureText('error-invalid-api-key.json'), 'MODEL_ERROR', 502, true],
    [403, '{"error":{"message":"Project does not have access to model"}}', 'MODEL_ERROR', 502, true],
    [404, fixtureText('error-azure-deployment-not-found.json'), 'MODEL_UNAVAILABLE', 503, true],
    [408, 'timeout', 'TIMEOUT', 504, true],
    [409, '{"error":{"message":"conflict"}}', 'MODEL_ERROR', 502, true],
    [500, OPENAI_500, 'MODEL_ERROR', 502, true],
    [502, '<html>Bad gateway</html>', 'MODEL_ERROR', 502, true],
    [503, '{"error":{"message":"The engine is currently overloaded"}}', 'MODEL_UNAVAILABLE', 503, true],
    [504, '', 'MODEL_ERROR', 502, true],
  ] as const)('%i → %s', (status, body, code, clientStatus, retryable) => {
    const error = classifyOpenAIError({ status, headers: {}, body }, target);
    expect(error.code).toBe(code);
    expect(error.status).toBe(clientStatus);
    expect(error.retryable).toBe(retryable);
    expect(error.details).toMatchObject({ provider: 'openai-main', upstream_status: status });
  });

  it("puts the provider's error.message in the details, never headers", () => {
    const error = classifyOpenAIError(
      {
        status: 400,
        headers: { 'x-request-id': 'req_123', 'set-cookie': 'secret-cookie' },
        body: fixtureText('error-context-length.json'),
      },
      target,
    );
    expect(error.details).toEqual({
      provider: 'openai-main',
      upstream_status: 400,
      upstream_message:
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130520 tokens. Please reduce the length of the messages.",
    });
    expect(JSON.stringify(error.toJSON())).not.toContain('req_123');
    expect(JSON.stringify(error.toJSON())).not.toContain('secret-cookie');
  });

  it('uses the first 300 characters of a non-JSON body', () => {
    const body = `<html>${'x'.repeat(1000)}</html>`;
    const error = classifyOpenAIError({ status: 502, headers: {}, body }, target);
    expect(error.details?.upstream_message).toBe(body.slice(0, 300));
  });

  it('reads error strings and top-level messages of compatible servers', () => {
    const tgi = classifyOpenAIError(
      { status: 422, headers: {}, body: fixtureText('error-tgi-validation.json') },
      target,
    );
    expect(tgi.details?.upstream_message).toMatch(/^Input validation error/);
    const github = classifyOpenAIError(
      {
        status: 401,
        headers: {},
        body: '{"message":"Bad credentials","documentation_url":"https://docs.github.com"}',
      },
      target,
    );
    expect(github.details?.upstream_message).toBe('Bad credentials');
  });

  it('recognises a context overflow by message when a compatible server gives no code', () => {
    const body =
      '{"object":"error","message":"This model\'s maximum context length is 4096 tokens.","code":400}';
    expect(classifyOpenAIError({ status: 400, headers: {}, body }, target).code).toBe('TOKEN_LIMIT_EXCEEDED');
  });

  it('masks keys the upstream echoes back', () => {
    const error = classifyOpenAIError(
      {
        status: 401,
        headers: {},
        body: JSON.stringify({
          error: { message: `bad key ${target.apiKey} and sk-proj-****abcd and hf_AbCdEf123` },
        }),
      },
      target,
    );
    const text = JSON.stringify(error.toJSON()) + error.message;
    expect(text).not.toContain('SECRETSECRET');
    expect(text).not.toContain('abcd');
    expect(text).not.toContain('AbCdEf123');
    const invalidKey = classifyOpenAIError(
      { status: 401, headers: {}, body: fixtureText('error-invalid-api-key.json') },
      target,
    );
    expect(invalidKey.details?.upstream_message).toBe(
      'Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.',
    );
  });

  it('carries the wait from the rate-limit headers', () => {
    const error = classifyOpenAIError(
      {
        status: 429,
        headers: { 'retry-after': '20', 'x-ratelimit-reset-requests': '6m0s' },
        body: fixtureText('error-rate-limit.json'),
      },
      target,
    );
    expect(error.retryAfterMs).toBe(20_000);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    [{ 'retry-after-ms': '1500' }, 1500],
    [{ 'retry-after-ms': '1500', 'retry-after': '9' }, 1500],
    [{ 'retry-after': '7' }, 7000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, 30_000],
    [{ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, 0],
    [{ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }, 360_000],
    [
      {
        'x-ratelimit-reset-requests': '1s',
        'x-ratelimit-reset-tokens': '6m0s',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-remaining-tokens': '1200',
      },
      1000,
    ],
    [{ 'x-ratelimit-reset-tokens': '20ms', 'x-ratelimit-remaining-tokens': '0' }, 20],
    [{ 'retry-after': ['3', '9'] }, 3000],
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after': '' }, undefined],
    [{}, undefined],
  ] as const)('%j → %s', (headers, expected) => {
    expect(parseRetryAfterMs(headers as Record<string, string | string[]>, now)).toBe(expected);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['6m0s', 360_000],
    ['1.5s', 1500],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0s', 0],
    ['250us', 1],
    ['', undefined],
    ['5', undefined],
    ['5x', undefined],
    ['s', undefined],
  ] as const)('%s → %s', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });
});
