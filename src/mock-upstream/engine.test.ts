import { describe, expect, it } from 'vitest';
import { type ChatInput, generateChat, type MockMessage, REFUSAL_TEXT, readDirectives } from './engine.js';
import { countTokens } from './tokens.js';

function chatInput(messages: readonly MockMessage[], extra: Partial<ChatInput> = {}): ChatInput {
  return {
    model: 'm',
    messages,
    tools: [],
    toolChoice: { kind: 'auto' },
    responseFormat: { kind: 'text' },
    maxTokens: undefined,
    n: 1,
    topLogprobs: undefined,
    ...extra,
  };
}

const generate = (input: ChatInput, seed = 0, outputTokens?: number) =>
  generateChat(input, { seed, outputTokens, directives: readDirectives(input.messages) });

const text = (input: ChatInput, seed = 0) => generate(input, seed)[0]!.pieces.join('');

describe('generateChat', () => {
  const hello = chatInput([{ role: 'user', text: 'Tell me something about gateways.' }]);

  it('is deterministic for the same conversation and seed, and varies otherwise', () => {
    expect(text(hello)).toBe(text(hello));
    expect(text(hello, 1)).not.toBe(text(hello));
    expect(text(chatInput([{ role: 'user', text: 'Something else.' }]))).not.toBe(text(hello));
  });

  it('answers arithmetic correctly', () => {
    expect(text(chatInput([{ role: 'user', text: 'What is 2+2?' }]))).toContain('4');
  });

  it('writes 20 to 60 tokens by default and exactly output_tokens when set', () => {
    for (let seed = 0; seed < 20; seed++) {
      const tokens = generate(hello, seed)[0]!.tokens;
      expect(tokens).toBeGreaterThanOrEqual(20);
      expect(tokens).toBeLessThanOrEqual(60);
    }
    const choice = generate(hello, 0, 137)[0]!;
    expect(choice.tokens).toBe(137);
    expect(countTokens(choice.pieces.join(''))).toBe(137);
  });

  it('stops at max tokens with finish reason length', () => {
    const choice = generate(chatInput(hello.messages, { maxTokens: 5 }))[0]!;
    expect(choice.pieces).toHaveLength(5);
    expect(choice.finishReason).toBe('length');
  });

  it('honours refuse, hedge and empty directives', () => {
    expect(text(chatInput([{ role: 'user', text: '[[mock:refuse]] do it' }]))).toBe(REFUSAL_TEXT);
    expect(text(chatInput([{ role: 'user', text: '[[mock:hedge]] What is 2+2?' }]))).toMatch(
      /not entirely sure.*4/,
    );
    const empty = generate(
      chatInput([
        { role: 'system', text: '[[mock:empty]]' },
        { role: 'user', text: 'hi' },
      ]),
    )[0]!;
    expect(empty.pieces).toEqual([]);
    expect(empty.finishReason).toBe('stop');
  });

  it('reads fault directives', () => {
    expect(readDirectives([{ role: 'user', text: 'x [[mock:fault=sse_cut:4]] y' }])?.fault).toBe('sse_cut:4');
    expect(readDirectives([{ role: 'user', text: 'nothing here' }])).toBeUndefined();
  });

  it('calls the first tool, or the forced one, with arguments from its schema', () => {
    const tools = [
      {
        name: 'first',
        description: '',
        parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      },
      {
        name: 'second',
        description: '',
        parameters: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      },
    ];
    const auto = generate(chatInput(hello.messages, { tools }))[0]!;
    expect(auto.finishReason).toBe('tool_calls');
    expect(auto.toolCall?.name).toBe('first');
    expect(typeof JSON.parse(auto.toolCall!.arguments).q).toBe('string');
    expect(auto.tokens).toBe(auto.toolCall!.pieces.length + 1);

    const forced = generate(
      chatInput(hello.messages, { tools, toolChoice: { kind: 'tool', name: 'second' } }),
    )[0]!;
    expect(forced.toolCall?.name).toBe('second');
    expect(Number.isInteger(JSON.parse(forced.toolCall!.arguments).n)).toBe(true);

    const none = generate(chatInput(hello.messages, { tools, toolChoice: { kind: 'none' } }))[0]!;
    expect(none.toolCall).toBeUndefined();
  });

  it('quotes the tool result after a tool call', () => {
    const tools = [{ name: 'lookup', description: '', parameters: { type: 'object' } }];
    const input = chatInput(
      [
        { role: 'user', text: 'weather?' },
        { role: 'assistant', text: ' lookup {}' },
        { role: 'tool', text: '{"temperature":21}' },
      ],
      { tools },
    );
    const choice = generate(input)[0]!;
    expect(choice.toolCall).toBeUndefined();
    expect(choice.pieces.join('')).toContain('{"temperature":21}');
  });

  it('returns n different choices and logprobs aligned with the pieces', () => {
    const choices = generate(chatInput(hello.messages, { n: 3, topLogprobs: 2 }));
    expect(new Set(choices.map((choice) => choice.pieces.join(''))).size).toBe(3);
    for (const choice of choices) {
      expect(choice.logprobs).toHaveLength(choice.pieces.length);
      for (const [i, logprob] of choice.logprobs!.entries()) {
        expect(logprob.logprob).toBeLessThanOrEqual(0);
        expect(logprob.top).toHaveLength(2);
        expect(logprob.top[0]!.token).toBe(choice.pieces[i]);
      }
    }
  });

  it('writes JSON for json_object and json_schema formats', () => {
    const object = text(chatInput(hello.messages, { responseFormat: { kind: 'json_object' } }));
    expect(typeof JSON.parse(object)).toBe('object');
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const structured = JSON.parse(
      text(chatInput(hello.messages, { responseFormat: { kind: 'json_schema', schema } })),
    );
    expect(typeof structured.ok).toBe('boolean');
  });
});
