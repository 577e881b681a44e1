import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../core/chat.js';
import type { Caller } from '../gateway/request-context.js';
import { exactKey, lastUserText, partitionKey, scopeOf } from './cache-key.js';

function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'What is a switchyard?' }] },
    ],
    stream: false,
    temperature: 0,
    ...overrides,
  };
}

const key = (overrides: Partial<ChatRequest> = {}, scope = 'operator') => exactKey(request(overrides), scope);

describe('exactKey', () => {
  it('is stable, versioned and a SHA-256', () => {
    expect(key()).toBe(key());
    expect(key()).toMatch(/^r1:[0-9a-f]{64}$/);
  });

  it('changes with everything that shapes the answer', () => {
    const base = key();
    const variants: Partial<ChatRequest>[] = [
      { model: 'gpt-4o' },
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'What is a switchyard?' }] }] },
      { temperature: 0.7 },
      { temperature: undefined },
      { topP: 0.5 },
      { seed: 7 },
      { maxTokens: 100 },
      { stop: ['\n'] },
      { n: 2 },
      { tools: [{ name: 'lookup', parameters: { type: 'object' } }] },
      { toolChoice: 'required' },
      { responseFormat: { type: 'json_object' } },
      { logprobs: true },
      { reasoning: { effort: 'high' } },
      { passthrough: { service_tier: 'flex' } },
      { routing: { strategy: 'cheapest' } },
      { routing: { chain: ['a', 'b'] } },
      { routing: { maxCostUsd: 0.01 } },
    ];
    const keys = variants.map((variant) => key(variant));
    for (const variant of keys) expect(variant).not.toBe(base);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('ignores what does not change the answer', () => {
    const base = key();
    expect(key({ stream: true, streamIncludeUsage: true })).toBe(base);
    expect(key({ user: 'end-user-1', metadata: { trace: 'x' } })).toBe(base);
    expect(key({ routing: { cache: 'no-cache', priority: 3, tags: ['a'] } })).toBe(base);
  });

  it('never lets two tenants share a key', () => {
    expect(key({}, 'project:a')).not.toBe(key({}, 'project:b'));
    expect(key({}, 'key:k1')).not.toBe(key({}, 'operator'));
  });
});

describe('scopeOf', () => {
  const withProject: Caller = { keyId: 'k1', project: 'acme', admin: false };
  const noProject: Caller = { keyId: 'k2', admin: false };
  const operator: Caller = { admin: true };

  it('project scope: the project, else the key, else the operator', () => {
    expect(scopeOf(withProject, 'project')).toBe('project:acme');
    expect(scopeOf({ ...withProject, keyId: 'k9' }, 'project')).toBe('project:acme');
    expect(scopeOf(noProject, 'project')).toBe('key:k2');
    expect(scopeOf(operator, 'project')).toBe('operator');
  });

  it('key scope separates keys of one project; global shares everything', () => {
    expect(scopeOf(withProject, 'key')).toBe('key:k1');
    expect(scopeOf({ ...withProject, keyId: 'k9' }, 'key')).toBe('key:k9');
    expect(scopeOf(withProject, 'global')).toBe('global');
    expect(scopeOf(operator, 'global')).toBe('global');
  });
});

describe('partitionKey and lastUserText', () => {
  const ask = (text: string, overrides: Partial<ChatRequest> = {}) =>
    request({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', content: [{ type: 'text', text }] },
      ],
      ...overrides,
    });

  it('leaves out only the last user message’s text', () => {
    expect(partitionKey(ask('one question'), 's')).toBe(partitionKey(ask('another question'), 's'));
    expect(partitionKey(ask('q'), 's')).not.toBe(partitionKey(ask('q', { model: 'gpt-4o' }), 's'));
    expect(partitionKey(ask('q'), 's')).not.toBe(partitionKey(ask('q'), 't'));
    const otherSystem = ask('q');
    otherSystem.messages[0] = { role: 'system', content: [{ type: 'text', text: 'Be verbose.' }] };
    expect(partitionKey(otherSystem, 's')).not.toBe(partitionKey(ask('q'), 's'));
  });

  it('reads the last message only when it is a user message of text', () => {
    expect(lastUserText(ask('hello').messages)).toBe('hello');
    expect(
      lastUserText([{ role: 'user', content: [{ type: 'image', url: 'https://example.com/a.png' }] }]),
    ).toBeUndefined();
    expect(lastUserText([{ role: 'assistant', content: [{ type: 'text', text: 'hi' }] }])).toBeUndefined();
    expect(lastUserText([])).toBeUndefined();
  });
});
