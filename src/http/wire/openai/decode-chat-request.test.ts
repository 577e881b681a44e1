import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import { decodeChatRequest } from './decode-chat-request.js';

const user = { role: 'user', content: 'Hi' };
const base = { model: 'gpt-4o-mini', messages: [user] };

function withMessages(...messages: unknown[]): Record<string, unknown> {
  return { model: 'gpt-4o-mini', messages };
}

function decodeError(body: unknown): GatewayError {
  try {
    decodeChatRequest(body);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected INVALID_REQUEST');
}

const tool = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } };
const toolCall = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } };

/** [case, body, field named by the error]. */
const MALFORMED: [string, unknown, string][] = [
  ['body is an array', [], 'body'],
  ['body is a string', 'hello', 'body'],
  ['model missing', { messages: [user] }, 'model'],
  ['model empty', { ...base, model: '' }, 'model'],
  ['model too long', { ...base, model: 'm'.repeat(257) }, 'model'],
  ['messages missing', { model: 'm' }, 'messages'],
  ['messages empty', { model: 'm', messages: [] }, 'messages'],
  ['messages too many', { model: 'm', messages: new Array(10_001).fill(user) }, 'messages'],
  ['message not an object', withMessages('hi'), 'messages[0]'],
  [
    'legacy function role',
    withMessages(user, { role: 'function', name: 'f', content: 'x' }),
    'messages[1].role',
  ],
  ['unknown role', withMessages({ role: 'robot', content: 'x' }), 'messages[0].role'],
  ['content a number', withMessages(user, user, { role: 'user', content: 42 }), 'messages[2].content'],
  ['content missing', withMessages({ role: 'user' }), 'messages[0].content'],
  ['content an empty array', withMessages({ role: 'user', content: [] }), 'messages[0].content'],
  [
    'unsupported part type',
    withMessages({
      role: 'user',
      content: [
        { type: 'text', text: 'a' },
        { type: 'input_audio', input_audio: {} },
      ],
    }),
    'messages[0].content[1].type',
  ],
  [
    'text part without text',
    withMessages({ role: 'user', content: [{ type: 'text' }] }),
    'messages[0].content[0].text',
  ],
  [
    'image URL with another scheme',
    withMessages({ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }),
    'messages[0].content[0].image_url.url',
  ],
  [
    'data URL that is not base64',
    withMessages({
      role: 'user',
      content: [{ type: 'image_url', image_url: { url: 'data:image/png,abc' } }],
    }),
    'messages[0].content[0].image_url.url',
  ],
  [
    'image detail unknown',
    withMessages({
      role: 'user',
      content: [{ type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'ultra' } }],
    }),
    'messages[0].content[0].image_url.detail',
  ],
  [
    'image in a system message',
    withMessages({ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }),
    'messages[0].content[0].type',
  ],
  [
    'assistant without content or tool_calls',
    withMessages(user, { role: 'assistant', content: null }),
    'messages[1].content',
  ],
  [
    'assistant tool call of another type',
    withMessages(user, { role: 'assistant', content: null, tool_calls: [{ ...toolCall, type: 'custom' }] }),
    'messages[1].tool_calls[0].type',
  ],
  [
    'assistant tool call arguments not a string',
    withMessages(user, {
      role: 'assistant',
      tool_calls: [{ ...toolCall, function: { name: 'get_weather', arguments: { city: 'Paris' } } }],
    }),
    'messages[1].tool_calls[0].function.arguments',
  ],
  [
    'assistant tool call without id',
    withMessages(user, {
      role: 'assistant',
      tool_calls: [{ type: 'function', function: toolCall.function }],
    }),
    'messages[1].tool_calls[0].id',
  ],
  [
    'assistant legacy function_call',
    withMessages(user, { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }),
    'messages[1].function_call',
  ],
  [
    'tool message without tool_call_id',
    withMessages(user, { role: 'assistant', tool_calls: [toolCall] }, { role: 'tool', content: 'x' }),
    'messages[2].tool_call_id',
  ],
  ['stream not a boolean', { ...base, stream: 'yes' }, 'stream'],
  [
    'include_usage not a boolean',
    { ...base, stream: true, stream_options: { include_usage: 1 } },
    'stream_options.include_usage',
  ],
  ['max_tokens zero', { ...base, max_tokens: 0 }, 'max_tokens'],
  ['max_tokens fractional', { ...base, max_tokens: 1.5 }, 'max_tokens'],
  ['max_completion_tokens too large', { ...base, max_completion_tokens: 1_000_001 }, 'max_completion_tokens'],
  ['n zero', { ...base, n: 0 }, 'n'],
  ['n above 128', { ...base, n: 129 }, 'n'],
  ['temperature above 2', { ...base, temperature: 2.5 }, 'temperature'],
  ['top_p below 0', { ...base, top_p: -0.1 }, 'top_p'],
  ['presence_penalty above 2', { ...base, presence_penalty: 3 }, 'presence_penalty'],
  ['frequency_penalty a string', { ...base, frequency_penalty: 'low' }, 'frequency_penalty'],
  ['stop with five sequences', { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
  ['stop with a number', { ...base, stop: [1] }, 'stop[0]'],
  ['seed fractional', { ...base, seed: 1.5 }, 'seed'],
  ['logprobs a string', { ...base, logprobs: 'true' }, 'logprobs'],
  ['top_logprobs above 20', { ...base, logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
  ['logit_bias out of range', { ...base, logit_bias: { '50256': 200 } }, 'logit_bias.50256'],
  ['tools not an array', { ...base, tools: tool }, 'tools'],
  ['too many tools', { ...base, tools: new Array(513).fill(tool) }, 'tools'],
  ['custom tool type', { ...base, tools: [{ type: 'custom', custom: { name: 'x' } }] }, 'tools[0].type'],
  [
    'tool name with spaces',
    { ...base, tools: [{ type: 'function', function: { name: 'get weather' } }] },
    'tools[0].function.name',
  ],
  [
    'tool parameters not an object',
    { ...base, tools: [{ type: 'function', function: { name: 'f', parameters: 'object' } }] },
    'tools[0].function.parameters',
  ],
  ['tool_choice unknown', { ...base, tools: [tool], tool_choice: 'sometimes' }, 'tool_choice'],
  [
    'tool_choice names a missing tool',
    { ...base, tools: [tool], tool_choice: { type: 'function', function: { name: 'other' } } },
    'tool_choice.function.name',
  ],
  ['parallel_tool_calls a number', { ...base, parallel_tool_calls: 1 }, 'parallel_tool_calls'],
  ['response_format type unknown', { ...base, response_format: { type: 'xml' } }, 'response_format.type'],
  [
    'json_schema missing',
    { ...base, response_format: { type: 'json_schema' } },
    'response_format.json_schema',
  ],
  [
    'json_schema without name',
    { ...base, response_format: { type: 'json_schema', json_schema: { schema: { type: 'object' } } } },
    'response_format.json_schema.name',
  ],
  ['user a number', { ...base, user: 5 }, 'user'],
  ['metadata value not a string', { ...base, metadata: { run: 1 } }, 'metadata.run'],
  ['reasoning_effort a number', { ...base, reasoning_effort: 3 }, 'reasoning_effort'],
  ['legacy functions', { ...base, functions: [{ name: 'f' }] }, 'functions'],
  ['switchyard not an object', { ...base, switchyard: 'cheap' }, 'switchyard'],
  ['switchyard unknown strategy', { ...base, switchyard: { strategy: 'fastest' } }, 'switchyard.strategy'],
  ['switchyard unknown option', { ...base, switchyard: { colour: 'red' } }, 'switchyard.colour'],
  ['switchyard negative max_cost', { ...base, switchyard: { max_cost: -1 } }, 'switchyard.max_cost'],
  ['switchyard chain not a list', { ...base, switchyard: { chain: 'a,b' } }, 'switchyard.chain'],
  [
    'switchyard min_confidence above 1',
    { ...base, switchyard: { min_confidence: 1.2 } },
    'switchyard.min_confidence',
  ],
];

describe('decodeChatRequest: malformed requests', () => {
  it('covers at least 25 cases', () => {
    expect(MALFORMED.length).toBeGreaterThanOrEqual(25);
  });

  it.each(MALFORMED)('%s → INVALID_REQUEST on %s', (_name, body, field) => {
    const error = decodeError(body);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.status).toBe(400);
    expect(error.details).toEqual({ field });
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('names the exact field and problem', () => {
    expect(decodeError(withMessages(user, user, { role: 'user', content: 42 })).message).toBe(
      'messages[2].content: expected a string or an array of content parts',
    );
    expect(decodeError({ ...base, tools: [{ type: 'custom' }] }).message).toBe(
      "tools[0].type: unsupported tool type 'custom'",
    );
  });
});

describe('decodeChatRequest: valid requests', () => {
  it('decodes every message form', () => {
    const request = decodeChatRequest(
      withMessages(
        { role: 'developer', content: 'Be brief.' },
        {
          role: 'system',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        {
          role: 'user',
          name: 'ada',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: '{"t":1}' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'x' },
            { type: 'refusal', refusal: 'no' },
          ],
        },
        { role: 'assistant', content: '', refusal: 'I cannot.', name: 'bot' },
      ),
    );
    expect(request.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      {
        role: 'system',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      {
        role: 'user',
        name: 'ada',
        content: [
          { type: 'text', text: 'Look:' },
          { type: 'image', mediaType: 'image/jpeg', data: '/9j/4AAQ', detail: 'high' },
          { type: 'image', url: 'https://example.com/a.png' },
        ],
      },
      {
        role: 'assistant',
        content: [],
        toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{}' }],
      },
      { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '{"t":1}' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'x' }], refusal: 'no' },
      { role: 'assistant', content: [{ type: 'text', text: '' }], refusal: 'I cannot.', name: 'bot' },
    ]);
  });

  it('decodes every parameter', () => {
    const request = decodeChatRequest({
      ...base,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 50,
      n: 2,
      temperature: 0,
      top_p: 1,
      presence_penalty: -2,
      frequency_penalty: 2,
      stop: 'END',
      seed: -7,
      logprobs: true,
      top_logprobs: 0,
      logit_bias: { '1': -100 },
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'd', strict: null } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
      user: 'u',
      metadata: { a: 'b' },
      reasoning_effort: 'high',
      switchyard: {
        strategy: 'fallback',
        max_cost: 0.01,
        chain: ['a', 'b'],
        task: 'code',
        tier: 'advanced',
        ensemble_size: 3,
        cache: 'no-store',
        min_confidence: 0.6,
        priority: 2,
        tags: ['x'],
      },
    });
    expect(request).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      stream: true,
      streamIncludeUsage: true,
      maxTokens: 50,
      n: 2,
      temperature: 0,
      topP: 1,
      presencePenalty: -2,
      frequencyPenalty: 2,
      stop: ['END'],
      seed: -7,
      logprobs: true,
      topLogprobs: 0,
      logitBias: { '1': -100 },
      tools: [{ name: 'get_weather', description: 'd' }],
      toolChoice: 'required',
      parallelToolCalls: false,
      responseFormat: { type: 'json_object' },
      user: 'u',
      metadata: { a: 'b' },
      reasoning: { effort: 'high' },
      routing: {
        strategy: 'fallback',
        maxCostUsd: 0.01,
        chain: ['a', 'b'],
        task: 'code',
        tier: 'advanced',
        ensembleSize: 3,
        cache: 'no-store',
        minConfidence: 0.6,
        priority: 2,
        tags: ['x'],
      },
    });
  });

  it('treats null as not set', () => {
    const request = decodeChatRequest({
      ...base,
      stream: null,
      temperature: null,
      max_tokens: null,
      tools: null,
      tool_choice: null,
      response_format: null,
      stop: null,
      switchyard: null,
    });
    expect(request).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      stream: false,
    });
  });

  it('prefers max_completion_tokens over max_tokens', () => {
    expect(decodeChatRequest({ ...base, max_tokens: 10, max_completion_tokens: 20 }).maxTokens).toBe(20);
  });

  it('passes unknown fields through and drops fields that could redirect the upstream', () => {
    const fields = JSON.stringify({
      ...base,
      service_tier: 'flex',
      store: true,
      prediction: { type: 'content', content: 'x' },
      top_k: 40,
      verbosity: null,
      api_base: 'https://attacker.example/v1',
      base_url: 'https://attacker.example/v1',
      api_key: 'sk-attacker',
      api_version: '2020-01-01',
      custom_llm_provider: 'x',
      organization: 'org-x',
      headers: { authorization: 'Bearer x' },
      extra_headers: { authorization: 'Bearer x' },
      extra_body: { a: 1 },
      deployment_id: 'd',
      url: 'https://attacker.example',
      endpoint: 'https://attacker.example',
    });
    // As JSON.parse delivers it: an own "__proto__" key.
    const request = decodeChatRequest(JSON.parse(`${fields.slice(0, -1)},"__proto__":{"polluted":true}}`));
    expect(request.passthrough).toEqual({
      service_tier: 'flex',
      store: true,
      prediction: { type: 'content', content: 'x' },
      top_k: 40,
      verbosity: null,
    });
    expect(Object.getPrototypeOf(request.passthrough)).toBe(Object.prototype);
  });

  it('maps every effort the canonical model names, and keeps others for OpenAI', () => {
    for (const effort of ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']) {
      expect(decodeChatRequest({ ...base, reasoning_effort: effort }).reasoning).toEqual({ effort });
    }
    const request = decodeChatRequest({ ...base, reasoning_effort: 'turbo' });
    expect(request.reasoning).toBeUndefined();
    expect(request.passthrough).toEqual({ reasoning_effort: 'turbo' });
  });

  it('accepts a tool_choice naming a declared tool', () => {
    const request = decodeChatRequest({
      ...base,
      tools: [tool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(request.toolChoice).toEqual({ name: 'get_weather' });
  });
});
