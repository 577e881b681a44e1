import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChatRequest, Message } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';
import { buildGeminiChatRequest, toGeminiThinkingConfig } from './gemini-chat-request.js';
import { geminiGetModel } from './gemini-endpoint.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

const target: UpstreamTarget = {
  provider: 'google',
  type: 'gemini',
  baseUrl: 'https://generativelanguage.googleapis.com',
  model: 'models/gemini-2.5-flash',
  apiKey: 'AIzaSyTESTKEY0123456789',
  apiVersion: 'v1beta',
};

const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });

function body(request: ChatRequest, upstream: UpstreamTarget = target): Record<string, unknown> {
  return JSON.parse(buildGeminiChatRequest(request, upstream).body ?? '') as Record<string, unknown>;
}

const full: ChatRequest = {
  model: 'gemini',
  stream: false,
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this picture, and the weather in Oslo?' },
        { type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png' },
        { type: 'image', url: 'https://example.com/cat.jpg', detail: 'high' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', text: 'The user wants the weather.', signature: 'gemini:CiQBsig' },
        { type: 'text', text: 'Let me check.' },
      ],
      toolCalls: [
        { id: 'call_r1_0__thought__CpUCsig', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { id: 'call_r1_1', name: 'get_time', arguments: '{"tz":"CET"}' },
      ],
    },
    {
      role: 'tool',
      toolCallId: 'call_r1_0__thought__CpUCsig',
      content: [{ type: 'text', text: '{"temp":3,"unit":"c"}' }],
    },
    { role: 'tool', toolCallId: 'call_r1_1', content: [{ type: 'text', text: '12:00' }] },
    user('Answer as JSON.'),
  ],
  maxTokens: 256,
  temperature: 0.2,
  topP: 0.9,
  topK: 40,
  stop: ['END'],
  n: 2,
  seed: 7,
  presencePenalty: 0.5,
  frequencyPenalty: 0.25,
  logprobs: true,
  topLogprobs: 3,
  tools: [
    {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { city: { type: 'string' } },
        required: ['city'],
        additionalProperties: false,
      },
      strict: true,
    },
    { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } },
  ],
  toolChoice: { name: 'get_weather' },
  parallelToolCalls: false,
  responseFormat: {
    type: 'json_schema',
    jsonSchema: {
      name: 'answer',
      strict: true,
      schema: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] },
    },
  },
  reasoning: { effort: 'low' },
  user: 'end-user-1',
  metadata: { team: 'a' },
  logitBias: { '50256': -100 },
  passthrough: { service_tier: 'flex' },
};

describe('buildGeminiChatRequest', () => {
  it('sends the documented URL and headers, with the key only in x-goog-api-key', () => {
    const request = buildGeminiChatRequest(full, target);
    expect(request).toMatchObject({
      origin: 'https://generativelanguage.googleapis.com',
      method: 'POST',
      path: '/v1beta/models/gemini-2.5-flash:generateContent',
    });
    expect(request.headers).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'x-goog-api-key': 'AIzaSyTESTKEY0123456789',
    });
    expect(request.path).not.toContain('key=');
  });

  it('streams through streamGenerateContent with SSE framing', () => {
    const request = buildGeminiChatRequest(
      { ...full, stream: true },
      { ...target, model: 'gemini-2.5-flash' },
    );
    expect(request.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(request.headers.accept).toBe('text/event-stream');
  });

  it('builds the body field by field as the reference documents it', () => {
    expect(body(full)).toEqual(fixture('request-chat-full.json'));
  });

  it('honours the api version, a base path, tuned models and encodes path segments', () => {
    expect(buildGeminiChatRequest(full, { ...target, apiVersion: 'v1' }).path).toBe(
      '/v1/models/gemini-2.5-flash:generateContent',
    );
    expect(
      buildGeminiChatRequest(full, { ...target, baseUrl: 'https://proxy.example/google/v1beta/' }).path,
    ).toBe('/google/v1beta/models/gemini-2.5-flash:generateContent');
    expect(buildGeminiChatRequest(full, { ...target, model: 'tunedModels/my model' }).path).toBe(
      '/v1beta/tunedModels/my%20model:generateContent',
    );
    expect(buildGeminiChatRequest(full, { ...target, model: 'gemini-x?alt=json#' }).path).toBe(
      '/v1beta/models/gemini-x%3Falt%3Djson%23:generateContent',
    );
  });

  it('lets static headers from config override, but never puts the key in the URL', () => {
    const request = buildGeminiChatRequest(full, { ...target, headers: { 'X-Goog-User-Project': 'p1' } });
    expect(request.headers['x-goog-user-project']).toBe('p1');
    const noKey = buildGeminiChatRequest(full, { ...target, apiKey: undefined });
    expect(noKey.headers['x-goog-api-key']).toBeUndefined();
  });

  it('sends a minimal request without config sections it does not need', () => {
    expect(body({ model: 'm', stream: false, messages: [user('Hi')] })).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
    });
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
  ] as const)('maps tool choice %s', (choice, config) => {
    const sent = body({
      model: 'm',
      stream: false,
      messages: [user('x')],
      tools: [{ name: 'f' }],
      toolChoice: choice,
    });
    expect(sent.toolConfig).toEqual({ functionCallingConfig: config });
    expect(sent.tools).toEqual([{ functionDeclarations: [{ name: 'f' }] }]);
  });

  it('asks for JSON without a schema for json_object', () => {
    const sent = body({
      model: 'm',
      stream: false,
      messages: [user('x')],
      responseFormat: { type: 'json_object' },
    });
    expect(sent.generationConfig).toEqual({ responseMimeType: 'application/json' });
  });

  it('wraps non-object tool results and marks failed calls as errors', () => {
    const messages: Message[] = [
      user('go'),
      {
        role: 'assistant',
        content: [],
        toolCalls: [
          { id: 'a', name: 'count', arguments: '{}' },
          { id: 'b', name: 'list', arguments: '' },
          { id: 'c', name: 'fail', arguments: '{"x":' },
        ],
      },
      { role: 'tool', toolCallId: 'a', content: [{ type: 'text', text: '42' }] },
      { role: 'tool', toolCallId: 'b', content: [{ type: 'text', text: '[1,2]' }] },
      { role: 'tool', toolCallId: 'c', content: [{ type: 'text', text: 'boom' }], isError: true },
    ];
    const sent = body({ model: 'm', stream: false, messages }) as { contents: { parts: unknown[] }[] };
    expect(sent.contents[1]!.parts).toEqual([
      // A conversation Gemini did not produce carries no signature: the documented placeholder goes first.
      { functionCall: { name: 'count', args: {} }, thoughtSignature: 'skip_thought_signature_validator' },
      { functionCall: { name: 'list', args: {} } },
      { functionCall: { name: 'fail', args: { input: '{"x":' } } },
    ]);
    expect(sent.contents[2]!.parts).toEqual([
      { functionResponse: { name: 'count', response: { output: 42 } } },
      { functionResponse: { name: 'list', response: { output: [1, 2] } } },
      { functionResponse: { name: 'fail', response: { error: 'boom' } } },
    ]);
  });

  it('rejects a tool result that answers no earlier tool call, naming the field', () => {
    const messages: Message[] = [user('x'), { role: 'tool', toolCallId: 'ghost', content: [] }];
    try {
      buildGeminiChatRequest({ model: 'm', stream: false, messages }, target);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('INVALID_REQUEST');
      expect((error as GatewayError).details).toEqual({ field: 'messages[1].tool_call_id' });
    }
  });

  it("never forwards another provider's thinking signature, nor thinking text", () => {
    const messages: Message[] = [
      user('x'),
      {
        role: 'assistant',
        content: [
          { type: 'thinking', text: 'claude thoughts', signature: 'EqQBCkgIARABGAIiQL' },
          { type: 'redacted_thinking', data: 'abc' },
          { type: 'text', text: 'Hello' },
        ],
      },
    ];
    const sent = body({ model: 'm', stream: false, messages }) as { contents: unknown[] };
    expect(sent.contents[1]).toEqual({ role: 'model', parts: [{ text: 'Hello' }] });
  });

  it('puts a trailing signature back on the last part, and keeps system messages from anywhere', () => {
    const messages: Message[] = [
      user('x'),
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Done.' },
          { type: 'thinking', text: '', signature: 'gemini:SIG' },
        ],
      },
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      user('y'),
    ];
    const sent = body({ model: 'm', stream: false, messages });
    expect(sent.contents).toEqual([
      { role: 'user', parts: [{ text: 'x' }] },
      { role: 'model', parts: [{ text: 'Done.', thoughtSignature: 'SIG' }] },
      { role: 'user', parts: [{ text: 'y' }] },
    ]);
    expect(sent.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }] });
  });

  it('guesses image types from data and URLs', () => {
    const sent = body({
      model: 'm',
      stream: false,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', data: '/9j/4AAQSkZJRg==' },
            { type: 'image', url: 'https://x.example/a.webp?size=2' },
            { type: 'image', url: 'https://x.example/render' },
          ],
        },
      ],
    }) as { contents: { parts: unknown[] }[] };
    expect(sent.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } },
      { fileData: { mimeType: 'image/webp', fileUri: 'https://x.example/a.webp?size=2' } },
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://x.example/render' } },
    ]);
  });
});

describe('toGeminiThinkingConfig', () => {
  it.each([
    ['gemini-2.5-flash', { effort: 'none' }, { thinkingBudget: 0 }],
    ['gemini-2.5-flash', { effort: 'minimal' }, { thinkingBudget: 512, includeThoughts: true }],
    ['gemini-2.5-flash', { effort: 'medium' }, { thinkingBudget: 8192, includeThoughts: true }],
    ['gemini-2.5-flash', { effort: 'high' }, { thinkingBudget: 24_576, includeThoughts: true }],
    ['gemini-2.5-pro', { effort: 'none' }, { thinkingBudget: 128, includeThoughts: false }],
    ['gemini-2.5-pro', { effort: 'max' }, { thinkingBudget: 32_768, includeThoughts: true }],
    ['gemini-flash-latest', { effort: 'low' }, { thinkingBudget: 1024, includeThoughts: true }],
    ['gemini-3-flash-preview', { effort: 'minimal' }, { thinkingLevel: 'MINIMAL', includeThoughts: true }],
    ['gemini-3-pro-preview', { effort: 'minimal' }, { thinkingLevel: 'LOW', includeThoughts: true }],
    ['models/gemini-3-pro-preview', { effort: 'medium' }, { thinkingLevel: 'MEDIUM', includeThoughts: true }],
    ['gemini-3-flash-preview', { effort: 'xhigh' }, { thinkingLevel: 'HIGH', includeThoughts: true }],
    ['gemini-3-flash-preview', { budgetTokens: 2048 }, { thinkingBudget: 2048, includeThoughts: true }],
    ['gemini-2.5-flash', { budgetTokens: 0, effort: 'high' }, { thinkingBudget: 0, includeThoughts: false }],
    ['gemini-2.0-flash', { effort: 'high' }, undefined],
    ['gemini-1.5-pro', { budgetTokens: 100 }, undefined],
    ['gemma-3-27b-it', { effort: 'high' }, undefined],
  ] as const)('%s %j → %j', (model, reasoning, expected) => {
    expect(toGeminiThinkingConfig(reasoning, model)).toEqual(expected);
  });
});

describe('geminiGetModel', () => {
  it('probes GET models/{model} with the key in the header', () => {
    expect(geminiGetModel(target)).toEqual({
      origin: 'https://generativelanguage.googleapis.com',
      method: 'GET',
      path: '/v1beta/models/gemini-2.5-flash',
      headers: { accept: 'application/json', 'x-goog-api-key': 'AIzaSyTESTKEY0123456789' },
    });
  });
});
