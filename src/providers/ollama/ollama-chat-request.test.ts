import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';
import { buildOllamaChatRequest, toOllamaThink } from './ollama-chat-request.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

const local: UpstreamTarget = {
  provider: 'ollama',
  type: 'ollama',
  baseUrl: 'http://127.0.0.1:11434',
  model: 'qwen3:8b',
};

/** Every canonical field Ollama has a place for, and some it has not. */
const FULL: ChatRequest = {
  model: 'local-qwen',
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
    {
      role: 'user',
      name: 'ada',
      content: [
        { type: 'text', text: 'What is in these images?' },
        { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png', detail: 'low' },
        { type: 'image', url: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', text: 'The user wants a lookup.', signature: 'sig' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'text', text: 'Let me look that up.' },
      ],
      toolCalls: [
        { id: 'call_1', name: 'lookup', arguments: '{"q":"cat"}' },
        { id: 'call_2', name: 'count', arguments: '' },
      ],
    },
    { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '{"result":"a cat"}' }] },
    { role: 'tool', toolCallId: 'call_2', content: [{ type: 'text', text: '2' }], isError: false },
    { role: 'assistant', content: [], refusal: "I can't help with that." },
  ],
  stream: true,
  streamIncludeUsage: false,
  maxTokens: 256,
  temperature: 0.2,
  topP: 0.9,
  topK: 40,
  stop: ['END'],
  n: 1,
  seed: 42,
  presencePenalty: 0.5,
  frequencyPenalty: -0.5,
  logitBias: { '50256': -100 },
  logprobs: true,
  topLogprobs: 3,
  tools: [
    {
      name: 'lookup',
      description: 'Look something up.',
      parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      strict: true,
    },
    { name: 'count' },
  ],
  toolChoice: { name: 'lookup' },
  parallelToolCalls: false,
  responseFormat: {
    type: 'json_schema',
    jsonSchema: {
      name: 'answer',
      schema: { type: 'object', properties: { text: { type: 'string' } } },
      strict: true,
    },
  },
  reasoning: { effort: 'low', budgetTokens: 1024 },
  user: 'user-1',
  metadata: { team: 'search' },
  passthrough: {
    keep_alive: '10m',
    // The canonical temperature wins over the client's raw option.
    options: { num_ctx: 8192, temperature: 1 },
    service_tier: 'flex',
    think: true,
  },
};

const simple = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'm',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
  stream: false,
  ...extra,
});

function bodyOf(request: ChatRequest, target: UpstreamTarget = local): Record<string, unknown> {
  return JSON.parse(buildOllamaChatRequest(request, target).body!) as Record<string, unknown>;
}

function errorOf(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('buildOllamaChatRequest', () => {
  it('sends the reference body for a request using every field', () => {
    const http = buildOllamaChatRequest(FULL, local);
    expect(http).toMatchObject({ origin: 'http://127.0.0.1:11434', method: 'POST', path: '/api/chat' });
    expect(http.headers).toEqual({ accept: 'application/x-ndjson', 'content-type': 'application/json' });
    expect(JSON.parse(http.body!)).toEqual(fixture('request-chat-full.json'));
  });

  it('always says whether to stream, and asks for JSON when not streaming', () => {
    const http = buildOllamaChatRequest(simple(), local);
    expect(http.headers.accept).toBe('application/json');
    expect(JSON.parse(http.body!)).toEqual({
      model: 'qwen3:8b',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: false,
    });
  });

  it('authenticates to ollama.com with a Bearer key; static headers win', () => {
    const cloud: UpstreamTarget = {
      ...local,
      baseUrl: 'https://ollama.com',
      apiKey: 'ollama-key-0123456789',
      headers: { 'X-Team': 'ml', Accept: 'application/x-ndjson' },
    };
    const http = buildOllamaChatRequest(simple(), cloud);
    expect(http.origin).toBe('https://ollama.com');
    expect(http.path).toBe('/api/chat');
    expect(http.headers).toEqual({
      accept: 'application/x-ndjson',
      'content-type': 'application/json',
      authorization: 'Bearer ollama-key-0123456789',
      'x-team': 'ml',
    });
    expect(http.origin + http.path + http.body).not.toContain('ollama-key-0123456789');
  });

  it('keeps a base path, does not double a base that ends in /api, and defaults to the local server', () => {
    expect(buildOllamaChatRequest(simple(), { ...local, baseUrl: 'http://gpu-box:8080/ollama/' }).path).toBe(
      '/ollama/api/chat',
    );
    const api = buildOllamaChatRequest(simple(), { ...local, baseUrl: 'https://ollama.com/api' });
    expect([api.origin, api.path]).toEqual(['https://ollama.com', '/api/chat']);
    const fallback = buildOllamaChatRequest(simple(), { ...local, baseUrl: '' });
    expect([fallback.origin, fallback.path]).toEqual(['http://127.0.0.1:11434', '/api/chat']);
  });

  it('maps response formats to `format`', () => {
    expect(bodyOf(simple({ responseFormat: { type: 'json_object' } })).format).toBe('json');
    expect(bodyOf(simple({ responseFormat: { type: 'text' } }))).not.toHaveProperty('format');
    expect(
      bodyOf(simple({ responseFormat: { type: 'json_schema', jsonSchema: { name: 'no-schema' } } })).format,
    ).toBe('json');
  });

  it('follows tool_choice as far as Ollama can: none sends no tools, auto and required send all', () => {
    const tools = [{ name: 'a' }, { name: 'b' }];
    expect(bodyOf(simple({ tools, toolChoice: 'none' }))).not.toHaveProperty('tools');
    const all = [
      { type: 'function', function: { name: 'a' } },
      { type: 'function', function: { name: 'b' } },
    ];
    expect(bodyOf(simple({ tools, toolChoice: 'required' })).tools).toEqual(all);
    expect(bodyOf(simple({ tools })).tools).toEqual(all);
    expect(bodyOf(simple({ tools, toolChoice: { name: 'b' } })).tools).toEqual([all[1]]);
    expect(bodyOf(simple({ tools: [] }))).not.toHaveProperty('tools');
  });

  it('maps reasoning to think', () => {
    expect(toOllamaThink(undefined)).toBeUndefined();
    expect(toOllamaThink({ effort: 'none' })).toBe(false);
    expect(toOllamaThink({ effort: 'minimal' })).toBe('low');
    expect(toOllamaThink({ effort: 'medium' })).toBe('medium');
    expect(toOllamaThink({ effort: 'xhigh' })).toBe('high');
    expect(toOllamaThink({ effort: 'max' })).toBe('max');
    expect(toOllamaThink({ budgetTokens: 2048 })).toBe(true);
    expect(toOllamaThink({ budgetTokens: 0 })).toBe(false);
    expect(bodyOf(simple({ reasoning: { effort: 'none' } })).think).toBe(false);
  });

  it('ignores passthrough fields that are not Ollama options, and malformed ones', () => {
    const body = bodyOf(simple({ passthrough: { keep_alive: { bad: 1 }, options: 'x', format: 'json' } }));
    expect(body).toEqual({ model: 'qwen3:8b', messages: [{ role: 'user', content: 'Hi' }], stream: false });
    expect(bodyOf(simple({ passthrough: { keep_alive: 0 } })).keep_alive).toBe(0);
  });

  it('refuses an image URL Ollama cannot fetch, naming the part', () => {
    const error = errorOf(() =>
      buildOllamaChatRequest(
        simple({
          messages: [
            { role: 'system', content: [{ type: 'text', text: 'x' }] },
            {
              role: 'user',
              content: [
                { type: 'text', text: 'look' },
                { type: 'image', url: 'https://example.com/cat.jpg' },
              ],
            },
          ],
        }),
        local,
      ),
    );
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.retryable).toBe(false);
    expect(error.details).toEqual({ field: 'messages[1].content[1]' });
    expect(error.message).toContain('base64');
  });

  it('refuses tool-call arguments that are not a JSON object', () => {
    const withArgs = (args: string) =>
      simple({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x' }] },
          { role: 'assistant', content: [], toolCalls: [{ id: 'c', name: 'f', arguments: args }] },
        ],
      });
    for (const args of ['{"a":', '[1,2]', '"text"']) {
      const error = errorOf(() => buildOllamaChatRequest(withArgs(args), local));
      expect(error.code, args).toBe('INVALID_REQUEST');
      expect(error.details).toEqual({ field: 'messages[1].tool_calls[0].function.arguments' });
    }
  });

  it('names the nearest earlier call when a tool-call id is reused across turns', () => {
    const body = bodyOf(
      simple({
        messages: [
          { role: 'assistant', content: [], toolCalls: [{ id: 'call_0', name: 'first', arguments: '{}' }] },
          { role: 'tool', toolCallId: 'call_0', content: [{ type: 'text', text: '1' }] },
          { role: 'assistant', content: [], toolCalls: [{ id: 'call_0', name: 'second', arguments: '{}' }] },
          { role: 'tool', toolCallId: 'call_0', content: [{ type: 'text', text: '2' }] },
          { role: 'tool', toolCallId: 'unknown', content: [{ type: 'text', text: '3' }] },
        ],
      }),
    );
    const messages = body.messages as Record<string, unknown>[];
    expect(messages[1]).toEqual({ role: 'tool', content: '1', tool_name: 'first', tool_call_id: 'call_0' });
    expect(messages[3]).toEqual({ role: 'tool', content: '2', tool_name: 'second', tool_call_id: 'call_0' });
    expect(messages[4]).toEqual({ role: 'tool', content: '3', tool_call_id: 'unknown' });
  });

  it('refuses n > 1', () => {
    const error = errorOf(() => buildOllamaChatRequest(simple({ n: 2 }), local));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.details).toEqual({ field: 'n' });
  });
});
