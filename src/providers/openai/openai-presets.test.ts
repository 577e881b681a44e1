import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat.js';
import { isGatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';
import { createOpenAIAdapter } from './openai-adapter.js';
import { DEFAULT_BASE_URLS, resolveOpenAIEndpoint } from './openai-presets.js';

const adapter = createOpenAIAdapter();

const request: ChatRequest = {
  model: 'smart',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
  stream: false,
  maxTokens: 100,
};

function target(overrides: Partial<UpstreamTarget> & Pick<UpstreamTarget, 'type'>): UpstreamTarget {
  return { provider: overrides.type, baseUrl: '', model: 'gpt-4o-mini', ...overrides };
}

function bodyOf(body: string | undefined): Record<string, unknown> {
  return JSON.parse(body ?? 'null') as Record<string, unknown>;
}

describe('OpenAI presets: exact URL, headers and body per provider type', () => {
  it('openai: POST https://api.openai.com/v1/chat/completions with Bearer, organization and project', () => {
    const http = adapter.buildChatRequest(
      request,
      target({ type: 'openai', apiKey: 'sk-test-123', organization: 'org-1', project: 'proj_1' }),
    );
    expect(http.origin).toBe('https://api.openai.com');
    expect(http.method).toBe('POST');
    expect(http.path).toBe('/v1/chat/completions');
    expect(http.headers).toEqual({
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: 'Bearer sk-test-123',
      'openai-organization': 'org-1',
      'openai-project': 'proj_1',
    });
    expect(bodyOf(http.body)).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      max_completion_tokens: 100,
    });
  });

  it('openai stream: accept text/event-stream, stream and include_usage', () => {
    const http = adapter.buildChatRequest(
      { ...request, stream: true },
      target({ type: 'openai', apiKey: 'k' }),
    );
    expect(http.headers.accept).toBe('text/event-stream');
    expect(bodyOf(http.body)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('azure: deployment URL with api-version, api-key header, no model in the body', () => {
    const http = adapter.buildChatRequest(
      request,
      target({
        type: 'azure',
        baseUrl: 'https://my-resource.openai.azure.com',
        model: 'gpt4o-prod',
        apiKey: 'azure-key-0123456789',
        apiVersion: '2024-10-21',
      }),
    );
    expect(http.origin).toBe('https://my-resource.openai.azure.com');
    expect(http.path).toBe('/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21');
    expect(http.headers).toEqual({
      'content-type': 'application/json',
      accept: 'application/json',
      'api-key': 'azure-key-0123456789',
    });
    const body = bodyOf(http.body);
    expect(body).not.toHaveProperty('model');
    expect(body).toEqual({ messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 100 });
  });

  it('azure: defaults the api-version, accepts the SDK base form …/openai/ and escapes the deployment', () => {
    const http = adapter.buildChatRequest(
      request,
      target({
        type: 'azure',
        baseUrl: 'https://r.openai.azure.com/openai/',
        model: 'my deployment',
        apiKey: 'k',
      }),
    );
    expect(http.path).toBe('/openai/deployments/my%20deployment/chat/completions?api-version=2024-10-21');
  });

  it('azure v1 API: /openai/v1/chat/completions with the deployment as model', () => {
    const http = adapter.buildChatRequest(
      request,
      target({
        type: 'azure',
        baseUrl: 'https://r.openai.azure.com',
        model: 'dep',
        apiKey: 'k',
        apiVersion: 'v1',
      }),
    );
    expect(http.path).toBe('/openai/v1/chat/completions');
    expect(bodyOf(http.body).model).toBe('dep');
  });

  it('github: models.github.ai inference with GitHub media type and API version', () => {
    const http = adapter.buildChatRequest(
      { ...request, stream: true },
      target({ type: 'github', model: 'openai/gpt-4.1', apiKey: 'github_pat_abc' }),
    );
    expect(http.origin).toBe('https://models.github.ai');
    expect(http.path).toBe('/inference/chat/completions');
    expect(http.headers).toEqual({
      'content-type': 'application/json',
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      authorization: 'Bearer github_pat_abc',
    });
    expect(bodyOf(http.body)).toEqual({
      model: 'openai/gpt-4.1',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 100,
    });
  });

  it('github with an organization: the org-attributed endpoint', () => {
    const http = adapter.buildChatRequest(
      request,
      target({ type: 'github', model: 'openai/gpt-4.1', apiKey: 't', organization: 'acme' }),
    );
    expect(http.path).toBe('/orgs/acme/inference/chat/completions');
  });

  it('huggingface: router with Bearer token, max_tokens, bill-to organization', () => {
    const http = adapter.buildChatRequest(
      request,
      target({
        type: 'huggingface',
        model: 'meta-llama/Llama-3.3-70B-Instruct',
        apiKey: 'hf_abc',
        organization: 'acme',
      }),
    );
    expect(http.origin).toBe('https://router.huggingface.co');
    expect(http.path).toBe('/v1/chat/completions');
    expect(http.headers).toEqual({
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: 'Bearer hf_abc',
      'x-hf-bill-to': 'acme',
    });
    expect(bodyOf(http.body)).toEqual({
      model: 'meta-llama/Llama-3.3-70B-Instruct',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 100,
    });
  });

  it('huggingface TGI endpoint: the same path on its own base URL, no key needed', () => {
    const http = adapter.buildChatRequest(
      request,
      target({ type: 'huggingface', baseUrl: 'http://127.0.0.1:8080/v1', model: 'tgi' }),
    );
    expect(http.origin).toBe('http://127.0.0.1:8080');
    expect(http.path).toBe('/v1/chat/completions');
    expect(http.headers).not.toHaveProperty('authorization');
  });

  it('a generic OpenAI-compatible server (vllm) gets max_tokens and Bearer', () => {
    const http = adapter.buildChatRequest(
      request,
      target({ type: 'vllm', baseUrl: 'http://gpu-1:8000/v1/', model: 'Qwen/Qwen2.5-7B', apiKey: 'local' }),
    );
    expect(`${http.origin}${http.path}`).toBe('http://gpu-1:8000/v1/chat/completions');
    expect(http.headers.authorization).toBe('Bearer local');
    expect(bodyOf(http.body)).toMatchObject({ max_tokens: 100 });
  });

  it('never produces // from a trailing slash, and keeps a base query string', () => {
    for (const baseUrl of [
      'https://api.openai.com/v1/',
      'https://api.openai.com/v1//',
      'https://api.openai.com/v1',
    ]) {
      const http = adapter.buildChatRequest(request, target({ type: 'openai', baseUrl, apiKey: 'k' }));
      expect(http.path).toBe('/v1/chat/completions');
    }
    const root = adapter.buildChatRequest(request, target({ type: 'vllm', baseUrl: 'http://h:1/' }));
    expect(root.path).toBe('/chat/completions');
    const withQuery = resolveOpenAIEndpoint(
      { provider: 'p', type: 'azure', baseUrl: 'https://r.openai.azure.com/?x=1', model: 'd' },
      'chat/completions',
      false,
    );
    expect(withQuery.path).toBe('/openai/deployments/d/chat/completions?x=1&api-version=2024-10-21');
  });

  it('adds static headers from config, which override the preset whatever their case', () => {
    const http = adapter.buildChatRequest(
      request,
      target({
        type: 'github',
        apiKey: 't',
        headers: { 'X-GitHub-Api-Version': '2026-03-10', 'X-Team': 'search' },
      }),
    );
    expect(http.headers['x-github-api-version']).toBe('2026-03-10');
    expect(http.headers['x-team']).toBe('search');
    expect(
      Object.keys(http.headers).filter((name) => name.toLowerCase() === 'x-github-api-version'),
    ).toHaveLength(1);
  });

  it('puts the API key only in a header, never in the URL', () => {
    const key = 'sk-very-secret-key-123456';
    for (const type of ['openai', 'azure', 'github', 'huggingface', 'vllm']) {
      const http = adapter.buildChatRequest(
        request,
        target({
          type,
          apiKey: key,
          baseUrl: type === 'azure' || type === 'vllm' ? 'https://x.example.com' : '',
        }),
      );
      expect(http.origin + http.path).not.toContain(key);
      expect(http.body).not.toContain(key);
      expect(Object.values(http.headers).some((value) => value.includes(key))).toBe(true);
    }
  });

  it('exports the default base URLs and uses them when base_url is unset', () => {
    expect(DEFAULT_BASE_URLS).toEqual({
      openai: 'https://api.openai.com/v1',
      github: 'https://models.github.ai/inference',
      huggingface: 'https://router.huggingface.co/v1',
    });
  });

  it('a provider type without a default and without a base URL is a configuration error', () => {
    try {
      adapter.buildChatRequest(request, target({ type: 'vllm' }));
      expect.unreachable();
    } catch (error) {
      expect(isGatewayError(error) && error.code).toBe('INTERNAL');
    }
  });

  it('embeddings: same presets, embeddings path', () => {
    const azure = adapter.buildEmbeddingRequest!(
      { model: 'e', input: ['a'] },
      target({
        type: 'azure',
        baseUrl: 'https://r.openai.azure.com',
        model: 'emb',
        apiKey: 'k',
        apiVersion: '2024-10-21',
      }),
    );
    expect(azure.path).toBe('/openai/deployments/emb/embeddings?api-version=2024-10-21');
    const openai = adapter.buildEmbeddingRequest!(
      { model: 'e', input: ['a'] },
      target({ type: 'openai', apiKey: 'k' }),
    );
    expect(`${openai.origin}${openai.path}`).toBe('https://api.openai.com/v1/embeddings');
  });
});
