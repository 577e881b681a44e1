import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';
import { parseOllamaChatResponse } from './ollama-chat-response.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

const target: UpstreamTarget = {
  provider: 'ollama',
  type: 'ollama',
  baseUrl: 'http://127.0.0.1:11434',
  model: 'llama3.2',
};

function errorOf(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('parseOllamaChatResponse', () => {
  it('parses the reference non-stream response (no done_reason: a normal stop)', () => {
    expect(parseOllamaChatResponse(fixture('chat-response-basic.json'), target)).toEqual({
      id: 'ollama-1702390423416',
      model: 'llama3.2',
      created: 1702390423,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: [{ type: 'text', text: 'Hello! How are you today?' }] },
          finishReason: { unified: 'stop', raw: null },
        },
      ],
      usage: { inputTokens: 26, outputTokens: 298 },
    });
  });

  it('turns whole tool calls into canonical calls with stable ids and JSON-text arguments', () => {
    const result = parseOllamaChatResponse(fixture('chat-response-tool-calls.json'), target);
    expect(result.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: [],
        toolCalls: [{ id: 'call_0', name: 'get_weather', arguments: '{"city":"Tokyo"}' }],
      },
      finishReason: { unified: 'tool_calls', raw: 'tool_calls' },
    });
    expect(result.usage).toEqual({ inputTokens: 169, outputTokens: 18 });
    expect(result.created).toBe(Math.floor(Date.parse('2025-07-07T20:32:53.844124Z') / 1000));
  });

  it("keeps a recent server's tool-call ids and puts the thinking trace first", () => {
    const result = parseOllamaChatResponse(fixture('chat-response-thinking-tool-ids.json'), target);
    expect(result.model).toBe('qwen3');
    expect(result.choices[0]!.message).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', text: 'The user wants the weather in two cities, so I call the tool twice.' },
      ],
      toolCalls: [
        { id: 'call_k3j9x2ab', name: 'get_temperature', arguments: '{"city":"New York"}' },
        { id: 'call_p0q7w1zc', name: 'get_temperature', arguments: '{"city":"London","unit":"celsius"}' },
      ],
    });
    expect(result.choices[0]!.finishReason).toEqual({ unified: 'tool_calls', raw: 'tool_calls' });
  });

  it('reads structured output as text', () => {
    const result = parseOllamaChatResponse(fixture('chat-response-structured.json'), target);
    expect(result.choices[0]!.message.content).toEqual([
      { type: 'text', text: '{"age": 22, "available": false}' },
    ]);
    expect(result.choices[0]!.finishReason).toEqual({ unified: 'stop', raw: 'stop' });
  });

  it('reports length, and leaves usage to the gateway when the prompt count is missing', () => {
    const result = parseOllamaChatResponse(fixture('chat-response-length-cached.json'), target);
    expect(result.choices[0]!.finishReason).toEqual({ unified: 'length', raw: 'length' });
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, estimated: true });
  });

  it('maps load (and anything newer) to other, and an empty message to no content', () => {
    const result = parseOllamaChatResponse(fixture('chat-response-load.json'), target);
    expect(result.choices[0]!.finishReason).toEqual({ unified: 'other', raw: 'load' });
    expect(result.choices[0]!.message.content).toEqual([]);
    expect(result.usage.estimated).toBe(true);
  });

  it('takes an absent message, model and timestamp in its stride', () => {
    const result = parseOllamaChatResponse({ done: true, prompt_eval_count: 5 }, target);
    expect(result).toMatchObject({ id: 'ollama-0', model: 'llama3.2', created: 0 });
    expect(result.usage).toEqual({ inputTokens: 5, outputTokens: 0 });
  });

  it('reads the cached share of the prompt where a server reports it', () => {
    const result = parseOllamaChatResponse(
      { done: true, prompt_eval_count: 100, prompt_eval_cached_count: 80, eval_count: 3 },
      target,
    );
    expect(result.usage).toEqual({ inputTokens: 100, outputTokens: 3, cachedInputTokens: 80 });
  });

  it('classifies an error body sent with a 200', () => {
    const error = errorOf(() =>
      parseOllamaChatResponse({ error: 'model runner has unexpectedly stopped' }, target),
    );
    expect(error.code).toBe('MODEL_ERROR');
    expect(error.retryable).toBe(true);
    expect(error.details).toMatchObject({ upstream_message: 'model runner has unexpectedly stopped' });
  });

  it('rejects bodies of the wrong shape as INVALID_RESPONSE', () => {
    for (const body of [
      'text',
      [],
      { message: 'hi' },
      { message: { content: 42 } },
      { message: { tool_calls: {} } },
      { message: { tool_calls: [{ function: { arguments: {} } }] } },
    ]) {
      const error = errorOf(() => parseOllamaChatResponse(body, target));
      expect(error.code, JSON.stringify(body)).toBe('INVALID_RESPONSE');
      expect(error.retryable).toBe(true);
    }
  });
});
