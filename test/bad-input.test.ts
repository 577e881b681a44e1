/**
 * Malformed requests get a 4xx with a stable code naming the problem — never a 500 — and the
 * server keeps serving.
 */

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/core/errors.js';
import { type Harness, startHarness } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ config: (url) => ({ ...defaults(url), server: { body_limit_mb: 0.05 } }) });
});
afterAll(() => h.close());

function defaults(url: string) {
  return {
    providers: {
      mock: { type: 'openai' as const, base_url: `${url}/v1`, api_key: 'sk-provider-0123456789abcdef' },
    },
    models: {
      'gpt-4o-mini': {
        pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 },
        deployments: [{ provider: 'mock' }],
      },
      'text-embedding-3-small': { capabilities: ['embeddings'], deployments: [{ provider: 'mock' }] },
    },
  };
}

const ok = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

interface Case {
  name: string;
  path?: string;
  body: string | object;
  headers?: Record<string, string>;
  status: number;
  code: string;
  field?: string;
}

const cases: Case[] = [
  { name: 'not JSON', body: '{"model": "gpt-4o-mini", ', status: 400, code: 'INVALID_REQUEST' },
  { name: 'empty body', body: '', status: 400, code: 'INVALID_REQUEST' },
  { name: 'JSON array', body: [1, 2], status: 400, code: 'INVALID_REQUEST' },
  { name: 'JSON string', body: '"hello"', status: 400, code: 'INVALID_REQUEST' },
  {
    name: 'missing model',
    body: { messages: ok.messages },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'model',
  },
  {
    name: 'model is a number',
    body: { ...ok, model: 42 },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'model',
  },
  { name: 'unknown model', body: { ...ok, model: 'gpt-17' }, status: 404, code: 'NOT_FOUND', field: 'model' },
  {
    name: 'URL as model',
    body: { ...ok, model: 'http://169.254.169.254/latest' },
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'path traversal model',
    body: { ...ok, model: '../../etc/passwd' },
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'missing messages',
    body: { model: 'gpt-4o-mini' },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'messages',
  },
  {
    name: 'empty messages',
    body: { ...ok, messages: [] },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'messages',
  },
  {
    name: 'messages not an array',
    body: { ...ok, messages: 'hi' },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'messages',
  },
  {
    name: 'bad role',
    body: { ...ok, messages: [{ role: 'wizard', content: 'hi' }] },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'messages[0].role',
  },
  {
    name: 'content is a number',
    body: { ...ok, messages: [{ role: 'user', content: 5 }] },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'messages[0].content',
  },
  {
    name: 'tool message without id',
    body: { ...ok, messages: [{ role: 'tool', content: 'x' }] },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'temperature too high',
    body: { ...ok, temperature: 9 },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'temperature',
  },
  {
    name: 'temperature a string',
    body: { ...ok, temperature: 'hot' },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'temperature',
  },
  {
    name: 'negative max_tokens',
    body: { ...ok, max_tokens: -5 },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'max_tokens',
  },
  {
    name: 'fractional max_tokens',
    body: { ...ok, max_tokens: 1.5 },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'max_tokens',
  },
  { name: 'huge n', body: { ...ok, n: 100000 }, status: 400, code: 'INVALID_REQUEST', field: 'n' },
  {
    name: 'stream a string',
    body: { ...ok, stream: 'yes' },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'stream',
  },
  {
    name: 'tools not an array',
    body: { ...ok, tools: {} },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'tools',
  },
  {
    name: 'bad tool name',
    body: { ...ok, tools: [{ type: 'function', function: { name: 'a b/c' } }] },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'bad response_format',
    body: { ...ok, response_format: { type: 'yaml' } },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'response_format',
  },
  {
    name: 'too many stops',
    body: { ...ok, stop: ['a', 'b', 'c', 'd', 'e'] },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'stop',
  },
  {
    name: 'embeddings model for chat',
    body: { ...ok, model: 'text-embedding-3-small' },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'model',
  },
  {
    name: 'oversized body',
    body: { ...ok, messages: [{ role: 'user', content: 'x'.repeat(100_000) }] },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'bad max-cost header',
    body: ok,
    headers: { 'x-switchyard-max-cost': 'lots' },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'x-switchyard-max-cost',
  },
  {
    name: 'unknown strategy',
    body: { ...ok, model: 'auto', switchyard: { strategy: 'telepathy' } },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'embeddings without input',
    path: '/v1/embeddings',
    body: { model: 'text-embedding-3-small' },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'input',
  },
  {
    name: 'chat model for embeddings',
    path: '/v1/embeddings',
    body: { model: 'gpt-4o-mini', input: 'x' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'completions without prompt',
    path: '/v1/completions',
    body: { model: 'gpt-4o-mini' },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'prompt',
  },
  {
    name: 'feedback without id',
    path: '/v1/feedback',
    body: { rating: 5 },
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'request_id',
  },
  {
    name: 'feedback for unknown id',
    path: '/v1/feedback',
    body: { request_id: 'nope', rating: 5 },
    status: 404,
    code: 'NOT_FOUND',
  },
];

describe('malformed requests', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const response = await fetch(`${h.url}${c.path ?? '/v1/chat/completions'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...c.headers },
        body: typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
      });
      const body = (await response.json()) as {
        error: { code: string; message: string; details?: { field?: string } };
      };
      expect(response.status).toBe(c.status);
      expect(body.error.code).toBe(c.code);
      expect(ERROR_CODES).toContain(body.error.code);
      expect(body.error.message.length).toBeGreaterThan(5);
      if (c.field) expect(`${body.error.details?.field ?? ''} ${body.error.message}`).toContain(c.field);
    });
  }

  it('unknown paths and wrong methods', async () => {
    const missing = await fetch(`${h.url}/v2/whatever`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const wrong = await fetch(`${h.url}/v1/chat/completions`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('refuses a declared oversized body before reading it', async () => {
    // Declare 10 MB but send only a few bytes: the answer must come without waiting for the rest.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(h.server.port, '127.0.0.1', () => {
        socket.write(
          'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n{"mo',
        );
      });
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk;
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        resolve(data);
      }, 3000);
    });
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(answer).toContain('PAYLOAD_TOO_LARGE');
  });

  it('keeps serving after all of that', async () => {
    const response = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ok),
    });
    expect(response.status).toBe(200);
  });
});
