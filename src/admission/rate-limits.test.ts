import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import type { VirtualKey } from '../storage/admission-ports.js';
import {
  type CountedHit,
  createRateLimitBook,
  formatResetDuration,
  rateLimitHeaders,
} from './rate-limits.js';

const key: VirtualKey = {
  id: 'key_1',
  name: 'bot',
  prefix: 'sk-sy-abcd',
  models: [],
  rpm: 60,
  tpm: 10_000,
  admin: false,
  createdBy: 'master',
  createdAt: 0,
};

describe('createRateLimitBook', () => {
  it('puts the key’s limits before the gateway’s, with the burst on top of request rates', () => {
    const { config } = parseConfigObject({
      rate_limit: { requests_per_minute: 1_000, tokens_per_minute: 1e6, burst_size: 7 },
    });
    const book = createRateLimitBook(config.rate_limit);
    expect(
      book.forCaller({ admin: false, keyId: key.id, key }).map((l) => [l.scope, l.kind, l.limit]),
    ).toEqual([
      ['key', 'requests', 67],
      ['key', 'tokens', 10_000],
      ['global', 'requests', 1_007],
      ['global', 'tokens', 1e6],
    ]);
    expect(book.forCaller({ admin: true })).toHaveLength(2);
  });

  it('applies nothing when disabled', () => {
    const { config } = parseConfigObject({ rate_limit: { enabled: false, requests_per_minute: 1 } });
    expect(createRateLimitBook(config.rate_limit).forCaller({ admin: false, key })).toEqual([]);
  });
});

describe('rate-limit headers', () => {
  it('formats reset times like OpenAI', () => {
    expect(formatResetDuration(17)).toBe('17ms');
    expect(formatResetDuration(1_500)).toBe('1.5s');
    expect(formatResetDuration(59_900)).toBe('59.9s');
    expect(formatResetDuration(59_950)).toBe('1m0s');
    expect(formatResetDuration(72_000)).toBe('1m12s');
    expect(formatResetDuration(120_000)).toBe('2m0s');
  });

  it('formats every reset time as the plain arithmetic does', () => {
    const plain = (ms: number): string => {
      if (ms < 1_000) return `${Math.max(0, Math.ceil(ms))}ms`;
      const seconds = Math.ceil(ms / 100) / 10;
      if (seconds < 60) return `${seconds}s`;
      const minutes = Math.floor(seconds / 60);
      return `${minutes}m${Math.round((seconds - minutes * 60) * 10) / 10}s`;
    };
    const samples = [-5, 0, 0.4, 999.5, 1_000, 59_949.9, 59_950, 119_950, 3_599_950, 1e12, 1e12 + 1, 1e15];
    for (let ms = 0; ms < 130_000; ms += 7) samples.push(ms, ms + 0.5);
    for (let i = 0; i < 2_000; i++) samples.push((i * 7_919_993) % 1e10, i * 123_456.789);
    for (const ms of samples) expect(formatResetDuration(ms), String(ms)).toBe(plain(ms));
  });

  it('writes counts past V8’s small integers as String() does', () => {
    const hit = (remaining: number) => ({
      allowed: true,
      count: 0,
      remaining,
      resetMs: 1,
      retryAfterMs: 0,
      at: 0,
    });
    const limit = (kind: 'requests' | 'tokens', value: number) => ({
      scope: 'global' as const,
      kind,
      counterKey: kind,
      limit: value,
      label: 'the gateway',
    });
    for (const remaining of [
      0,
      2 ** 30 - 1,
      2 ** 30,
      999_998_803_993,
      1e12,
      1_000_000_000_007,
      2 ** 53 - 1,
    ]) {
      const headers = rateLimitHeaders([
        { limit: limit('requests', 1e12), hit: hit(remaining), weight: 1 },
        { limit: limit('tokens', 2 ** 40), hit: hit(remaining), weight: 1 },
      ]);
      expect(headers['x-ratelimit-limit-requests']).toBe('1000000000000');
      expect(headers['x-ratelimit-limit-tokens']).toBe(String(2 ** 40));
      expect(headers['x-ratelimit-remaining-requests']).toBe(String(remaining));
      expect(headers['x-ratelimit-remaining-tokens']).toBe(String(remaining));
    }
  });

  it('reports the limit of each kind that is closest to refusing', () => {
    const hit = (remaining: number, resetMs: number) => ({
      allowed: true,
      count: 0,
      remaining,
      resetMs,
      retryAfterMs: 0,
      at: 0,
    });
    const limit = (scope: 'key' | 'global', kind: 'requests' | 'tokens', value: number) => ({
      scope,
      kind,
      counterKey: `${scope}:${kind}`,
      limit: value,
      label: scope,
    });
    const hits: CountedHit[] = [
      { limit: limit('key', 'requests', 60), hit: hit(12, 30_000), weight: 1 },
      { limit: limit('global', 'requests', 1_000), hit: hit(3, 5_000), weight: 1 },
      { limit: limit('key', 'tokens', 10_000), hit: hit(9_000, 61_000), weight: 500 },
    ];
    expect(rateLimitHeaders(hits)).toEqual({
      'x-ratelimit-limit-requests': '1000',
      'x-ratelimit-remaining-requests': '3',
      'x-ratelimit-reset-requests': '5s',
      'x-ratelimit-limit-tokens': '10000',
      'x-ratelimit-remaining-tokens': '9000',
      'x-ratelimit-reset-tokens': '1m1s',
    });
  });
});
