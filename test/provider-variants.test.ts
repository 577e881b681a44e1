/**
 * Azure OpenAI, GitHub Models and Hugging Face are presets of the OpenAI protocol: through the
 * gateway, each sends the URL, headers and body its service documents (asserted on what the
 * mock upstream received). Adding such a provider is configuration only.
 */

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness.js';

let h: Harness;
let client: OpenAI;

beforeAll(async () => {
  h = await startHarness({
    config: (url) => ({
      providers: {
        azure: {
          type: 'azure',
          base_url: url,
          api_key: 'azure-key-0123456789abcdef',
          api_version: '2024-10-21',
        },
        github: { type: 'github', base_url: `${url}/inference`, api_key: 'ghp_githubtoken0123456789abcdef' },
        hf: { type: 'huggingface', base_url: `${url}/v1`, api_key: 'hf_hftoken0123456789abcdef' },
        vllm: { type: 'openai', base_url: `${url}/vllm/v1`, headers: { 'x-team': 'ml' } },
      },
      models: {
        'azure-4o-mini': { deployments: [{ provider: 'azure', model: 'prod-4o-mini' }] },
        'azure-embed': {
          capabilities: ['embeddings'],
          deployments: [{ provider: 'azure', model: 'prod-embed' }],
        },
        'gh-4.1': { deployments: [{ provider: 'github', model: 'openai/gpt-4.1' }] },
        'hf-llama': { deployments: [{ provider: 'hf', model: 'meta-llama/Llama-3.1-8B-Instruct' }] },
        'local-qwen': { deployments: [{ provider: 'vllm', model: 'Qwen/Qwen2.5-7B-Instruct' }] },
      },
    }),
  });
  client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(() => h.close());

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Say hello.' },
];

async function send(model: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) {
  const before = h.mock.requests.length;
  const result = await client.chat.completions.create({
    model,
    messages,
    max_tokens: 64,
    temperature: 0.2,
    ...extra,
  });
  expect(h.mock.requests.length).toBe(before + 1);
  return { result, upstream: h.mock.requests.at(-1)! };
}

describe('OpenAI-protocol presets', () => {
  it('Azure OpenAI: deployment URL, api-version, api-key header, no model in the body', async () => {
    const { result, upstream } = await send('azure-4o-mini');
    expect(result.choices[0]?.message.content).toBeTruthy();
    expect(upstream.method).toBe('POST');
    expect(upstream.path).toBe('/openai/deployments/prod-4o-mini/chat/completions?api-version=2024-10-21');
    expect(upstream.headers['api-key']).toBe('azure-key-0123456789abcdef');
    expect(upstream.headers.authorization).toBeUndefined();
    expect(upstream.headers['content-type']).toBe('application/json');
    expect(upstream.body).toEqual({
      messages,
      max_completion_tokens: 64,
      temperature: 0.2,
    });
  });

  it('Azure OpenAI embeddings go to the deployment embeddings URL', async () => {
    const result = await client.embeddings.create({ model: 'azure-embed', input: 'hello' });
    expect(result.data).toHaveLength(1);
    const upstream = h.mock.requests.at(-1)!;
    expect(upstream.path).toBe('/openai/deployments/prod-embed/embeddings?api-version=2024-10-21');
    expect(upstream.headers['api-key']).toBe('azure-key-0123456789abcdef');
    expect(upstream.body).toEqual({ input: ['hello'] });
  });

  it('GitHub Models: inference URL, Bearer token, GitHub media type and API version, publisher/model id', async () => {
    const { upstream } = await send('gh-4.1');
    expect(upstream.path).toBe('/inference/chat/completions');
    expect(upstream.headers.authorization).toBe('Bearer ghp_githubtoken0123456789abcdef');
    expect(upstream.headers.accept).toBe('application/vnd.github+json');
    expect(upstream.headers['x-github-api-version']).toBe('2022-11-28');
    expect(upstream.body).toEqual({
      model: 'openai/gpt-4.1',
      messages,
      max_completion_tokens: 64,
      temperature: 0.2,
    });
  });

  it('Hugging Face router: /v1/chat/completions, Bearer token, repo id as model, max_tokens', async () => {
    const { upstream } = await send('hf-llama');
    expect(upstream.path).toBe('/v1/chat/completions');
    expect(upstream.headers.authorization).toBe('Bearer hf_hftoken0123456789abcdef');
    expect(upstream.body).toEqual({
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      messages,
      max_tokens: 64,
      temperature: 0.2,
    });
  });

  it('a generic OpenAI-compatible server (vLLM) needs only a base_url, with static headers and no key', async () => {
    const { upstream } = await send('local-qwen');
    expect(upstream.path).toBe('/vllm/v1/chat/completions');
    expect(upstream.headers.authorization).toBeUndefined();
    expect(upstream.headers['x-team']).toBe('ml');
    expect(upstream.body).toEqual({
      model: 'Qwen/Qwen2.5-7B-Instruct',
      messages,
      max_tokens: 64,
      temperature: 0.2,
    });
  });

  it('streams through every preset with stream_options.include_usage upstream', async () => {
    for (const model of ['azure-4o-mini', 'gh-4.1', 'hf-llama', 'local-qwen']) {
      const stream = await client.chat.completions.create({ model, messages, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text.length, model).toBeGreaterThan(0);
      const body = h.mock.requests.at(-1)!.body as Record<string, unknown>;
      expect(body.stream).toBe(true);
      expect(body.stream_options).toEqual({ include_usage: true });
    }
  });
});
