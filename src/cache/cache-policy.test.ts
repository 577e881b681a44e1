import { describe, expect, it } from 'vitest';
import type { ChatRequest, ChatResult } from '../core/chat.js';
import { finishReason, type UnifiedFinishReason } from '../core/finish-reason.js';
import { cachePolicy, isCacheable } from './cache-policy.js';

const base: ChatRequest = { model: 'm', messages: [], stream: false };

describe('cachePolicy', () => {
  it.each([
    ['default, deterministic', { temperature: 0 }, true, { lookup: true, store: true }],
    ['default, sampled', { temperature: 0.8 }, true, { lookup: true, store: true }],
    ['default, provider default temperature', {}, true, { lookup: true, store: true }],
    ['sampled, nondeterministic caching off', { temperature: 0.8 }, false, { lookup: false, store: false }],
    ['unset temperature, nondeterministic caching off', {}, false, { lookup: false, store: false }],
    ['deterministic, nondeterministic caching off', { temperature: 0 }, false, { lookup: true, store: true }],
    ['no-cache', { temperature: 0, routing: { cache: 'no-cache' } }, true, { lookup: false, store: true }],
    ['no-store', { temperature: 0, routing: { cache: 'no-store' } }, true, { lookup: false, store: false }],
    ['explicit default', { routing: { cache: 'default' } }, true, { lookup: true, store: true }],
  ] as const)('%s', (_name, overrides, nondeterministic, expected) => {
    expect(cachePolicy({ ...base, ...overrides } as ChatRequest, nondeterministic)).toEqual(expected);
  });
});

function result(...reasons: UnifiedFinishReason[]): ChatResult {
  return {
    id: 'x',
    model: 'm',
    created: 0,
    usage: { inputTokens: 1, outputTokens: 1 },
    choices: reasons.map((reason, index) => ({
      index,
      message: { role: 'assistant', content: [{ type: 'text', text: 'a' }] },
      finishReason: finishReason(reason),
    })),
  };
}

describe('isCacheable', () => {
  it.each([
    [['stop'], true],
    [['length'], true],
    [['tool_calls'], true],
    [['stop', 'length'], true],
    [['content_filter'], false],
    [['error'], false],
    [['other'], false],
    [['stop', 'content_filter'], false],
    [[], false],
  ] as const)('%j → %s', (reasons, expected) => {
    expect(isCacheable(result(...reasons))).toBe(expected);
  });
});
