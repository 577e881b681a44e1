import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChatRequest, Message } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';
import { createAnthropicAdapter } from './anthropic-adapter.js';
import { buildAnthropicMessagesBody, buildAnthropicMessagesRequest } from './anthropic-messages-request.js';

const target: UpstreamTarget = {
  provider: 'anthropic',
  type: 'anthropic',
  baseUrl: 'https://api.anthropic.com',
  model: 'claude-sonnet-4-20250514',
  apiKey: 'sk-ant-api03-secret-key-0123456789',
};

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

function user(text: string): Message {
  return { role: 'user', content: [{ type: 'text', text }] };
}

function body(request: Partial<ChatRequest>, upstream: UpstreamTarget = target): Record<string, unknown> {
  const built = buildAnthropicMessagesRequest(
    { model: 'm', stream: false, messages: [user('Hi')], ...request },
    upstream,
  );
  return JSON.parse(built.body ?? 'null') as Record<string, unknown>;
}

describe('buildAnthropicMessagesRequest', () => {
  it('sends every canonical field Anthropic has a name for, as the reference spells it', () => {
    const request: ChatRequest = {
      model: 'claude-sonnet',
      stream: true,
      messages: [
        {
          role: 'system',
          content: [{ type: 'text', text: 'You are terse.', cacheControl: { type: 'ephemeral' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png' },
          ],
        },
        { role: 'user', content: [{ type: 'image', url: 'https://example.com/cat.jpg' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'The user wants the weather.', signature: 'sig-1' },
            { type: 'redacted_thinking', data: 'EmwKAhgB' },
            { type: 'thinking', text: 'unsigned reasoning from another provider' },
            { type: 'text', text: 'Let me check.' },
          ],
          toolCalls: [
            { id: 'toolu_01', name: 'get_weather', arguments: '{"city":"Oslo"}' },
            { id: 'toolu_02', name: 'get_time', arguments: '' },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_01', content: [{ type: 'text', text: '-3°C and snowing' }] },
        // A system message mid-conversation still belongs to the top-level system prompt.
        { role: 'system', content: [{ type: 'text', text: 'Answer in English.' }] },
        {
          role: 'tool',
          toolCallId: 'toolu_02',
          content: [{ type: 'text', text: 'clock unavailable' }],
          isError: true,
        },
        user('And tomorrow?'),
      ],
      maxTokens: 1000,
      temperature: 1.4,
      topP: 0.9,
      topK: 40,
      stop: ['END'],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          strict: true,
        },
        { name: 'get_time' },
      ],
      toolChoice: 'required',
      parallelToolCalls: false,
      user: 'user-42',
      seed: 7,
      presencePenalty: 0.1,
      logprobs: true,
      metadata: { team: 'a' },
      passthrough: { service_tier: 'flex' },
    };
    const built = buildAnthropicMessagesRequest(request, target);
    expect(built.method).toBe('POST');
    expect(built.origin).toBe('https://api.anthropic.com');
    expect(built.path).toBe('/v1/messages');
    expect(built.headers).toEqual({
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'anthropic-version': '2023-06-01',
      'x-api-key': 'sk-ant-api03-secret-key-0123456789',
    });
    expect(JSON.parse(built.body!)).toEqual(fixture('request-messages-full.json'));
  });

  it('uses the configured API version and static headers (anthropic-beta), and keeps a proxy path', () => {
    const built = buildAnthropicMessagesRequest(
      { model: 'm', stream: false, messages: [user('Hi')] },
      {
        ...target,
        baseUrl: 'https://proxy.example.com/anthropic/v1',
        apiVersion: '2024-10-22',
        headers: { 'Anthropic-Beta': 'prompt-caching-2024-07-31,output-128k-2025-02-19' },
      },
    );
    expect(built.origin).toBe('https://proxy.example.com');
    expect(built.path).toBe('/anthropic/v1/messages');
    expect(built.headers).toMatchObject({
      'anthropic-version': '2024-10-22',
      'anthropic-beta': 'prompt-caching-2024-07-31,output-128k-2025-02-19',
      accept: 'application/json',
    });
    expect(built.body).not.toContain('stream');
  });

  it('never puts the key anywhere but the x-api-key header', () => {
    const built = buildAnthropicMessagesRequest(
      { model: 'm', stream: false, messages: [user('Hi')] },
      target,
    );
    expect(built.path).not.toContain(target.apiKey);
    expect(built.body).not.toContain(target.apiKey);
    expect(Object.keys(built.headers).filter((name) => built.headers[name] === target.apiKey)).toEqual([
      'x-api-key',
    ]);
  });

  it('defaults max_tokens to 4096, above the thinking budget when thinking is on', () => {
    expect(body({}).max_tokens).toBe(4096);
    const thinking = body({ reasoning: { budgetTokens: 2000 }, temperature: 0.2, topK: 5, topP: 0.95 });
    expect(thinking.thinking).toEqual({ type: 'enabled', budget_tokens: 2000 });
    expect(thinking.max_tokens).toBe(6096);
    // Anthropic rejects temperature and top_k with thinking; top_p is allowed.
    expect(thinking).not.toHaveProperty('temperature');
    expect(thinking).not.toHaveProperty('top_k');
    expect(thinking.top_p).toBe(0.95);
    expect(body({ maxTokens: 300, reasoning: { budgetTokens: 1024 } }).max_tokens).toBe(300);
    // An effort alone has no budget and does not turn thinking on.
    expect(body({ reasoning: { effort: 'high' } })).not.toHaveProperty('thinking');
  });

  it('maps each tool choice', () => {
    const tools = [{ name: 'a' }, { name: 'b' }];
    expect(body({ tools, toolChoice: 'auto' }).tool_choice).toEqual({ type: 'auto' });
    expect(body({ tools, toolChoice: 'required' }).tool_choice).toEqual({ type: 'any' });
    expect(body({ tools, toolChoice: { name: 'b' } }).tool_choice).toEqual({ type: 'tool', name: 'b' });
    expect(body({ tools, toolChoice: 'none' }).tool_choice).toEqual({ type: 'none' });
    expect(body({ tools, parallelToolCalls: false }).tool_choice).toEqual({
      type: 'auto',
      disable_parallel_tool_use: true,
    });
    expect(body({ tools })).not.toHaveProperty('tool_choice');
    // No tools: a tool choice alone would be rejected, so none is sent.
    expect(body({ toolChoice: 'required' })).not.toHaveProperty('tool_choice');
  });

  it('emulates a JSON schema with a forced output tool', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const format = { type: 'json_schema' as const, jsonSchema: { name: 'place', schema } };
    const forced = body({ responseFormat: format });
    expect(forced.tools).toEqual([
      { name: 'switchyard_json_output', description: expect.any(String), input_schema: schema },
    ]);
    expect(forced.tool_choice).toEqual({ type: 'tool', name: 'switchyard_json_output' });

    // With the client's own tools the model must call one of them or answer through the output tool.
    const withTools = body({ responseFormat: format, tools: [{ name: 'lookup' }] });
    expect((withTools.tools as { name: string }[]).map((t) => t.name)).toEqual([
      'lookup',
      'switchyard_json_output',
    ]);
    expect(withTools.tool_choice).toEqual({ type: 'any' });

    // Thinking cannot be combined with a forced tool: instructions instead.
    const thinking = body({ responseFormat: format, reasoning: { budgetTokens: 1024 } });
    expect(thinking).not.toHaveProperty('tools');
    expect(thinking.system).toContain(JSON.stringify(schema));

    const object = body({ responseFormat: { type: 'json_object' }, messages: [user('Hi')] });
    expect(object.system).toMatch(/JSON object/);
    expect(body({ responseFormat: { type: 'text' } })).not.toHaveProperty('system');
  });

  it('merges consecutive turns of one role and sends a lone plain text as a string', () => {
    const sent = body({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        user('one'),
        user('two'),
        { role: 'assistant', content: [{ type: 'text', text: '' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'three' }] },
        user('four'),
      ],
    });
    expect(sent.system).toBe('Be brief.');
    expect(sent.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
      },
      { role: 'assistant', content: 'three' },
      { role: 'user', content: 'four' },
    ]);
  });

  it('rejects tool-call arguments that are not a JSON object, naming the message', () => {
    const messages: Message[] = [
      user('Hi'),
      { role: 'assistant', content: [], toolCalls: [{ id: 'toolu_1', name: 'f', arguments: '[1,2]' }] },
    ];
    expect(() => body({ messages })).toThrow(/messages\[1\]\.tool_calls\[0\]\.arguments/);
  });

  it('refuses n > 1 with a retryable error, so another protocol may serve it', () => {
    try {
      buildAnthropicMessagesBody({ model: 'm', stream: false, messages: [user('Hi')], n: 2 }, target);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('INVALID_REQUEST');
      expect((error as GatewayError).retryable).toBe(true);
      expect((error as GatewayError).details).toMatchObject({ field: 'n' });
    }
  });

  it('builds a free GET /v1/models health probe', () => {
    const probe = createAnthropicAdapter().buildProbeRequest?.(target);
    expect(probe).toEqual({
      origin: 'https://api.anthropic.com',
      method: 'GET',
      path: '/v1/models',
      headers: {
        accept: 'application/json',
        'anthropic-version': '2023-06-01',
        'x-api-key': 'sk-ant-api03-secret-key-0123456789',
      },
    });
  });
});
