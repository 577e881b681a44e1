import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamTarget } from '../spec.js';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import { parseOpenAIChatResponse } from './openai-chat-response.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));
}

const target: UpstreamTarget = {
  provider: 'openai',
  type: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-mini',
};

function expectError(run: () => unknown, code: string): GatewayError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe(code);
    return error as GatewayError;
  }
  throw new Error('expected an error');
}

describe('parseOpenAIChatResponse', () => {
  it('parses the reference default response', () => {
    expect(parseOpenAIChatResponse(fixture('chat-response-basic.json'), target)).toEqual({
      id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      model: 'gpt-5.4',
      created: 1741569952,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: [{ type: 'text', text: 'Hello! How can I assist you today?' }],
          },
          finishReason: { unified: 'stop', raw: 'stop' },
        },
      ],
      usage: { inputTokens: 19, outputTokens: 10 },
    });
  });

  it('parses the reference tool-call response', () => {
    const result = parseOpenAIChatResponse(fixture('chat-response-tool-calls.json'), target);
    expect(result.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: [],
        toolCalls: [
          { id: 'call_abc123', name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' },
        ],
      },
      finishReason: { unified: 'tool_calls', raw: 'tool_calls' },
    });
    expect(result.usage).toEqual({ inputTokens: 82, outputTokens: 17 });
  });

  it('parses logprobs with their alternatives', () => {
    const result = parseOpenAIChatResponse(fixture('chat-response-logprobs.json'), target);
    expect(result.choices[0]?.logprobs).toEqual([
      {
        token: 'Hello',
        logprob: -0.31725305,
        topLogprobs: [
          { token: 'Hello', logprob: -0.31725305 },
          { token: 'Hi', logprob: -1.3190403 },
        ],
      },
      {
        token: '!',
        logprob: -0.02380986,
        topLogprobs: [
          { token: '!', logprob: -0.02380986 },
          { token: ' there', logprob: -3.787621 },
        ],
      },
      {
        token: ' How',
        logprob: -0.000054669687,
        topLogprobs: [
          { token: ' How', logprob: -0.000054669687 },
          { token: '<|end|>', logprob: -10.953937 },
        ],
      },
    ]);
    expect(result).not.toHaveProperty('systemFingerprint');
  });

  it('parses a refusal, cached and reasoning tokens and the system fingerprint', () => {
    const result = parseOpenAIChatResponse(fixture('chat-response-refusal-reasoning.json'), target);
    expect(result.choices[0]?.message).toEqual({
      role: 'assistant',
      content: [],
      refusal: "I'm sorry, I cannot assist with that request.",
    });
    expect(result.usage).toEqual({
      inputTokens: 1200,
      outputTokens: 460,
      cachedInputTokens: 1024,
      reasoningTokens: 448,
    });
    expect(result.systemFingerprint).toBe('fp_ee1d74bde0');
  });

  it('marks absent usage as estimated zeros for the executor to count', () => {
    const body = fixture('chat-response-basic.json') as Record<string, unknown>;
    delete body.usage;
    expect(parseOpenAIChatResponse(body, target).usage).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      estimated: true,
    });
  });

  it('keeps reasoning_content from compatible servers as a thinking part', () => {
    const result = parseOpenAIChatResponse(
      {
        id: 'x',
        model: '',
        created: 1,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: '42', reasoning_content: 'think' },
            finish_reason: 'eos',
          },
        ],
      },
      target,
    );
    expect(result.model).toBe('gpt-4o-mini');
    expect(result.choices[0]?.message.content).toEqual([
      { type: 'thinking', text: 'think' },
      { type: 'text', text: '42' },
    ]);
    expect(result.choices[0]?.finishReason).toEqual({ unified: 'other', raw: 'eos' });
  });

  it('rejects bodies that are not a completion', () => {
    const ok = fixture('chat-response-basic.json') as Record<string, unknown>;
    for (const body of [
      null,
      'text',
      [],
      {},
      { ...ok, choices: [] },
      { ...ok, choices: 'x' },
      { ...ok, choices: [null] },
      { ...ok, choices: [{ index: 0, finish_reason: 'stop' }] },
      { ...ok, choices: [{ index: 0, message: { content: 5 } }] },
      { ...ok, choices: [{ index: 0, message: { content: null, tool_calls: [{ id: 'x' }] } }] },
    ]) {
      const error = expectError(() => parseOpenAIChatResponse(body, target), 'INVALID_RESPONSE');
      expect(error.retryable).toBe(true);
      expect(error.details).toEqual({ provider: 'openai' });
    }
  });

  it('classifies an error body that came with a 200', () => {
    const error = expectError(
      () => parseOpenAIChatResponse({ error: { message: 'slow down', type: 'rate_limit_error' } }, target),
      'RATE_LIMIT_EXCEEDED',
    );
    expect(error.details).toMatchObject({ upstream_message: 'slow down' });
  });
});

describe('mapOpenAIFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['tool_calls', 'tool_calls'],
    ['function_call', 'tool_calls'],
    ['content_filter', 'content_filter'],
    ['eos_token', 'other'],
    [null, 'other'],
  ] as const)('%s → %s', (raw, unified) => {
    expect(mapOpenAIFinishReason(raw)).toEqual({ unified, raw });
  });
});
