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
