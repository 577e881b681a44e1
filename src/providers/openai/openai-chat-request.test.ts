import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat.js';
import type { UpstreamTarget } from '../spec.js';
import { buildOpenAIChatRequest } from './openai-chat-request.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

const openai: UpstreamTarget = {
  provider: 'openai',
  type: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-mini',
  apiKey: 'sk-test',
};

/** Every canonical field set, plus passthrough fields that must and must not reach the wire. */
const FULL: ChatRequest = {
  model: 'smart',
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
    {
      role: 'user',
      name: 'ada',
      content: [
        { type: 'text', text: 'What is in these images?' },
        { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png', detail: 'low' },
        { type: 'image', url: 'https://example.com/cat.jpg' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', text: 'The user wants a lookup.', signature: 'sig' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'text', text: 'Let me look that up.' },
      ],
      toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"cat"}' }],
    },
    { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '{"result":"a cat"}' }] },
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
  ],
  toolChoice: { name: 'lookup' },
  parallelToolCalls: false,
  responseFormat: {
    type: 'json_schema',
    jsonSchema: {
      name: 'answer',
      description: 'The answer.',
      schema: { type: 'object', properties: { text: { type: 'string' } } },
      strict: true,
    },
  },
  reasoning: { effort: 'low', budgetTokens: 1024 },
  user: 'user-1',
  metadata: { team: 'search' },
  routing: { strategy: 'cheapest' },
  passthrough: {
    service_tier: 'flex',
    prediction: { type: 'content', content: 'draft' },
    // Canonical fields win over passthrough…
    temperature: 1.5,
    user: 'someone-else',
    // …and the adapter's own fields and upstream-choosing fields never come from it.
    stream: false,
    stream_options: { include_usage: false },
    model: 'gpt-4o',
    max_tokens: 9999,
    api_base: 'https://attacker.example',
    extra_headers: { authorization: 'Bearer stolen' },
  },
};

describe('buildOpenAIChatRequest', () => {
  it('sends every canonical field under its OpenAI name (fixture checked against the reference)', () => {
    const http = buildOpenAIChatRequest(FULL, openai);
    expect(JSON.parse(http.body ?? '')).toEqual(fixture('request-chat-openai-full.json'));
  });

  it('drops thinking parts from assistant history and keeps the text', () => {
    const body = JSON.parse(buildOpenAIChatRequest(FULL, openai).body ?? '');
    expect(body.messages[2].content).toBe('Let me look that up.');
    expect(JSON.stringify(body)).not.toContain('The user wants a lookup.');
    expect(JSON.stringify(body)).not.toContain('opaque');
  });

  it('omits stream fields for a non-stream request, even when passthrough sets them', () => {
    const body = JSON.parse(
      buildOpenAIChatRequest(
        { ...FULL, stream: false, passthrough: { stream: true, stream_options: { include_usage: true } } },
        openai,
      ).body ?? '',
    );
    expect(body).not.toHaveProperty('stream');
    expect(body).not.toHaveProperty('stream_options');
  });

  it('keeps multi-part text as an array and a single text part as a string', () => {
    const body = JSON.parse(
      buildOpenAIChatRequest(
        {
          model: 'm',
          stream: false,
          messages: [
            {
              role: 'system',
              content: [
                { type: 'text', text: 'a', cacheControl: { type: 'ephemeral' } },
                { type: 'text', text: 'b' },
              ],
            },
            { role: 'user', content: [{ type: 'text', text: 'only' }] },
            {
              role: 'tool',
              toolCallId: 't',
              content: [
                { type: 'text', text: 'x' },
                { type: 'text', text: 'y' },
              ],
            },
          ],
        },
        openai,
      ).body ?? '',
    );
    expect(body.messages).toEqual([
      {
        role: 'system',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      { role: 'user', content: 'only' },
      {
        role: 'tool',
        tool_call_id: 't',
        content: [
          { type: 'text', text: 'x' },
          { type: 'text', text: 'y' },
        ],
      },
    ]);
  });

  it('maps every tool_choice form', () => {
    for (const [choice, wire] of [
      ['auto', 'auto'],
      ['none', 'none'],
      ['required', 'required'],
      [{ name: 'f' }, { type: 'function', function: { name: 'f' } }],
    ] as const) {
      const body = JSON.parse(
        buildOpenAIChatRequest({ model: 'm', stream: false, messages: [], toolChoice: choice }, openai)
          .body ?? '',
      );
      expect(body.tool_choice).toEqual(wire);
    }
  });

  it('maps text and json_object response formats', () => {
    for (const type of ['text', 'json_object'] as const) {
      const body = JSON.parse(
        buildOpenAIChatRequest({ model: 'm', stream: false, messages: [], responseFormat: { type } }, openai)
          .body ?? '',
      );
      expect(body.response_format).toEqual({ type });
    }
  });

  it('does not forward metadata to providers other than OpenAI', () => {
    const body = JSON.parse(
      buildOpenAIChatRequest(
        { model: 'm', stream: false, messages: [], metadata: { a: 'b' } },
        { ...openai, type: 'github' },
      ).body ?? '',
    );
    expect(body).not.toHaveProperty('metadata');
  });

  it('does not let a passthrough __proto__ key reach or alter the body', () => {
    const passthrough = JSON.parse('{"__proto__": {"polluted": true}, "service_tier": "auto"}') as Record<
      string,
      unknown
    >;
    const http = buildOpenAIChatRequest({ model: 'm', stream: false, messages: [], passthrough }, openai);
    const body = JSON.parse(http.body ?? '');
    expect(body.service_tier).toBe('auto');
    expect(http.body).not.toContain('polluted');
  });
});
