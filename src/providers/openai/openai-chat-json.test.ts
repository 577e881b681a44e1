import { describe, expect, it } from 'vitest';
import type { ChatRequest, ContentPart, Message } from '../../core/chat.js';
import { convertToOpenAIChatMessages } from './convert-to-openai-chat-messages.js';
import type { OpenAIChatRequestBody } from './openai-chat-api.js';
import { stringifyBuiltChatBody, stringifyChatBody } from './openai-chat-json.js';
import { buildOpenAIChatRequest } from './openai-chat-request.js';

/** Strings JSON.stringify treats specially, and ones it leaves alone. */
const ODD_STRINGS = [
  '',
  'plain',
  'What is 2+2?',
  'say "hi"',
  'back\\slash',
  'line\nbreak\r\n\ttab',
  '\u0000\u0001\u001f',
  '\u007f\u0080\u00ff',
  '\u2028\u2029',
  'é ß ✓ 中文',
  '\u{1F600} paired surrogates',
  'lone \uD83D high',
  'lone \uDE00 low',
  '\uDE00\uD83D reversed',
  '</script>',
  'x'.repeat(5000),
];

const ODD_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.1,
  1e21,
  1e-7,
  123456789012345680000,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
];

/** A small seeded generator: the same cases on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

function randomValue(next: () => number, depth: number): unknown {
  const kind = Math.floor(next() * (depth > 2 ? 5 : 8));
  switch (kind) {
    case 0:
      return pick(next, ODD_STRINGS);
    case 1:
      return pick(next, ODD_NUMBERS);
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return pick(next, [Number.NaN, Number.POSITIVE_INFINITY, undefined]);
    case 5:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      const keys = Math.floor(next() * 4);
      for (let i = 0; i < keys; i++)
        object[pick(next, ['a', 'b c', '"q"', '1', '0', 'é'])] = randomValue(next, depth + 1);
      return object;
    }
  }
}

function randomBody(next: () => number): OpenAIChatRequestBody {
  const messages = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
    const message: Record<string, unknown> = { role: pick(next, ['system', 'user', 'assistant', 'tool']) };
    message.content = pick(next, [
      pick(next, ODD_STRINGS),
      null,
      [{ type: 'text', text: pick(next, ODD_STRINGS) }],
    ]);
    if (next() < 0.3) message.name = pick(next, ODD_STRINGS);
    if (next() < 0.2)
      message.tool_calls = [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }];
    return message;
  });
  const body: OpenAIChatRequestBody = { messages: messages as OpenAIChatRequestBody['messages'] };
  if (next() < 0.7) body.model = pick(next, ODD_STRINGS);
  for (const field of [
    'temperature',
    'top_p',
    'n',
    'seed',
    'max_tokens',
    'stream',
    'user',
    'stop',
    'metadata',
  ]) {
    if (next() < 0.3) body[field] = randomValue(next, 1);
  }
  // Passthrough fields come after, under any name, with any value.
  for (let i = Math.floor(next() * 3); i > 0; i--) {
    body[pick(next, ['vendor_field', '2', '10', 'we"ird', 'new\nline', '__proto__x', 'toJSON'])] =
      randomValue(next, 0);
  }
  return body;
}

describe('stringifyChatBody', () => {
  it('writes what JSON.stringify writes, over a seeded corpus of bodies', () => {
    const next = random(42);
    for (let i = 0; i < 3000; i++) {
      const body = randomBody(next);
      expect(stringifyChatBody(body)).toBe(JSON.stringify(body));
    }
  });

  it('writes what JSON.stringify writes for the bodies the adapter builds', () => {
    const request: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be "brief".' }] },
        { role: 'user', content: [{ type: 'text', text: 'What is 2+2?' }] },
        {
          role: 'assistant',
          content: [],
          toolCalls: [{ id: 'call_1', name: 'add', arguments: '{"a":2,"b":2}' }],
        },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '4' }] },
      ],
      stream: true,
      maxTokens: 100,
      temperature: 0.2,
      stop: ['\n\n'],
      tools: [{ name: 'add', description: 'adds', parameters: { type: 'object', properties: {} } }],
      responseFormat: { type: 'json_object' },
      passthrough: { vendor_option: { nested: [1, 'two', null] }, '7': true },
    };
    const target = { provider: 'p', type: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'gpt-4o-mini' };
    const built = buildOpenAIChatRequest(request, target);
    const body = JSON.parse(built.body ?? '') as OpenAIChatRequestBody;
    expect(built.body).toBe(JSON.stringify(body));
    expect(body.messages).toHaveLength(4);
    expect(body.vendor_option).toEqual({ nested: [1, 'two', null] });
  });

  it('leaves out undefined, functions and symbols as JSON.stringify does', () => {
    const body = {
      messages: [{ role: 'user', content: 'hi', name: undefined }],
      model: 'm',
      a: undefined,
      b: () => 1,
      c: Symbol('s'),
      [Symbol('hidden')]: 1,
    } as unknown as OpenAIChatRequestBody;
    expect(stringifyChatBody(body)).toBe(JSON.stringify(body));
    expect(stringifyChatBody(body)).toBe('{"messages":[{"role":"user","content":"hi"}],"model":"m"}');
  });

  it('hands a toJSON the field name it is under, through JSON.stringify', () => {
    const seen: string[] = [];
    const value = {
      toJSON(key: string) {
        seen.push(key);
        return `as ${key}`;
      },
    };
    const body = {
      messages: [{ role: 'user', content: 'hi' }],
      metadata: value,
    } as unknown as OpenAIChatRequestBody;
    expect(stringifyChatBody(body)).toBe(JSON.stringify(body));
    expect(seen).toEqual(['metadata', 'metadata']);
    const date = new Date(0);
    const withDate = {
      messages: [{ role: 'user', content: 'hi', at: date }],
    } as unknown as OpenAIChatRequestBody;
    expect(stringifyChatBody(withDate)).toBe(JSON.stringify(withDate));
  });

  it('throws on a bigint as JSON.stringify does', () => {
    const body = { messages: [], seed: 1n } as unknown as OpenAIChatRequestBody;
    expect(() => stringifyChatBody(body)).toThrow(TypeError);
  });

  it('ignores enumerable properties inherited from Object.prototype, as JSON.stringify does', () => {
    const proto = Object.prototype as Record<string, unknown>;
    Object.defineProperty(proto, 'polluted', {
      value: 'x',
      enumerable: true,
      configurable: true,
      writable: true,
    });
    try {
      const body = { messages: [{ role: 'user', content: 'hi' }], model: 'm' } as OpenAIChatRequestBody;
      expect(stringifyChatBody(body)).toBe(JSON.stringify(body));
      expect(stringifyChatBody(body)).not.toContain('polluted');
    } finally {
      delete proto.polluted;
    }
  });
});

/** Content parts of every kind, with odd strings in them. */
function randomParts(next: () => number): ContentPart[] {
  return Array.from({ length: Math.floor(next() * 4) }, (): ContentPart => {
    switch (Math.floor(next() * 5)) {
      case 0:
        return { type: 'image', url: pick(next, ODD_STRINGS), ...(next() < 0.5 ? { detail: 'low' } : {}) };
      case 1:
        return { type: 'image', data: 'aGk=', ...(next() < 0.5 ? { mediaType: 'image/jpeg' } : {}) };
      case 2:
        return { type: 'thinking', text: pick(next, ODD_STRINGS) };
      default:
        return { type: 'text', text: pick(next, ODD_STRINGS) };
    }
  });
}

/** Canonical messages of every role, with and without the optional fields. */
function randomMessages(next: () => number): Message[] {
  return Array.from({ length: 1 + Math.floor(next() * 5) }, (): Message => {
    const content = randomParts(next);
    switch (pick(next, ['system', 'user', 'assistant', 'tool'] as const)) {
      case 'system':
        return { role: 'system', content };
      case 'user':
        return next() < 0.3
          ? { role: 'user', content, name: pick(next, ODD_STRINGS) }
          : { role: 'user', content };
      case 'assistant': {
        const message: Message = { role: 'assistant', content };
        if (next() < 0.3) message.name = pick(next, ODD_STRINGS);
        if (next() < 0.3) message.refusal = pick(next, ODD_STRINGS);
        if (next() < 0.4) {
          message.toolCalls = Array.from({ length: Math.floor(next() * 3) }, (_, i) => ({
            id: `call_${i}`,
            name: pick(next, ODD_STRINGS),
            arguments: pick(next, ['{}', '{"a":1}', pick(next, ODD_STRINGS)]),
          }));
        }
        return message;
      }
      default:
        return { role: 'tool', toolCallId: pick(next, ODD_STRINGS), content };
    }
  });
}

describe('stringifyBuiltChatBody (messages by the fields the converter sets)', () => {
  it("writes what JSON.stringify writes for the converter's messages, over a seeded corpus", () => {
    const next = random(7);
    for (let i = 0; i < 3000; i++) {
      const body: OpenAIChatRequestBody = { messages: convertToOpenAIChatMessages(randomMessages(next)) };
      if (next() < 0.7) body.model = pick(next, ODD_STRINGS);
      if (next() < 0.3) body.temperature = pick(next, ODD_NUMBERS);
      if (next() < 0.2) body['10'] = randomValue(next, 0);
      expect(stringifyBuiltChatBody(body)).toBe(JSON.stringify(body));
    }
  });

  it('writes whatever values the fields hold as JSON.stringify does, a toJSON or a bigint included', () => {
    const odd = [
      { role: 'user', content: 'hi', name: undefined },
      { role: 'user', content: 7, name: null },
      { role: 'assistant', content: null, refusal: null, tool_calls: undefined },
      { role: 'assistant', content: [{ type: 'text', text: 'x' }], name: 'n', tool_calls: [] },
      { role: 'tool', tool_call_id: undefined, content: '4' },
      { role: 'developer', content: 'be brief' },
      { role: 'user', content: new Date(0) },
    ] as unknown as OpenAIChatRequestBody['messages'];
    for (const message of odd) {
      const body: OpenAIChatRequestBody = { messages: [message], model: 'm' };
      expect(stringifyBuiltChatBody(body)).toBe(JSON.stringify(body));
    }
    const notMessages = {
      messages: [null, 'x', { role: 'other', content: 'y' }],
    } as unknown as OpenAIChatRequestBody;
    expect(stringifyBuiltChatBody(notMessages)).toBe(JSON.stringify(notMessages));
    const withBigint = { messages: [{ role: 'user', content: 1n }] } as unknown as OpenAIChatRequestBody;
    expect(() => stringifyBuiltChatBody(withBigint)).toThrow(TypeError);
  });

  it('is what the request builder sends', () => {
    const next = random(11);
    const target = { provider: 'p', type: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'gpt-4o-mini' };
    for (let i = 0; i < 500; i++) {
      const messages = randomMessages(next);
      const built = buildOpenAIChatRequest({ model: 'm', messages, stream: next() < 0.5 }, target);
      const body = JSON.parse(built.body ?? '') as OpenAIChatRequestBody;
      expect(body.messages).toEqual(convertToOpenAIChatMessages(messages));
      expect(built.body).toBe(JSON.stringify({ ...body, messages: convertToOpenAIChatMessages(messages) }));
    }
  });
});
