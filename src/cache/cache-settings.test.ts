import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigObject } from '../config/load.js';
import type { ConfigInput } from '../config/schema.js';
import { resolveCacheSettings } from './cache-settings.js';

const settings = (input: ConfigInput) => resolveCacheSettings(parseConfigObject(input).config);

function problems(input: ConfigInput): string[] {
  try {
    parseConfigObject(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('resolveCacheSettings', () => {
  it('defaults: an hour, 1,000 answers, per project, sampled requests included, no semantic stage', () => {
    expect(settings({ cache: { enabled: true } })).toMatchObject({
      ttlMs: 3_600_000,
      maxEntries: 1_000,
      scope: 'project',
      cacheNondeterministic: true,
      backend: 'sqlite',
      semantic: { enabled: false, threshold: 0.9 },
    });
  });

  it('takes the seed’s names (ttl, max_size, strategy: lru) unchanged', () => {
    expect(settings({ cache: { enabled: true, ttl: 60, max_size: 10, strategy: 'lru' } })).toMatchObject({
      ttlMs: 60_000,
      maxEntries: 10,
    });
    expect(settings({ cache: { ttl_s: 0.25 } }).ttlMs).toBe(250);
  });

  it('store auto: Redis when storage.redis_url is set, else the SQLite file, else memory', () => {
    expect(settings({ storage: { url: 'memory://' } }).backend).toBe('memory');
    expect(settings({ storage: { url: 'sqlite://./x.db' } }).backend).toBe('sqlite');
    expect(settings({ storage: { url: 'sqlite://./x.db', redis_url: 'redis://h:6379' } }).backend).toBe(
      'redis',
    );
    expect(settings({ storage: { url: 'postgres://h/db' } }).backend).toBe('memory');
    expect(settings({ storage: { url: 'sqlite://./x.db' }, cache: { store: 'memory' } }).backend).toBe(
      'memory',
    );
  });

  it('refuses contradictions with one line naming the path', () => {
    expect(problems({ cache: { ttl: 10, ttl_s: 20 } })).toEqual(['cache.ttl: ttl and ttl_s disagree']);
    expect(problems({ cache: { max_size: 5, max_entries: 6 } })).toEqual([
      'cache.max_size: max_size and max_entries disagree',
    ]);
    expect(problems({ cache: { ttl: 10, ttl_s: 10, max_size: 5, max_entries: 5 } })).toEqual([]);
    expect(problems({ cache: { semantic: { threshold: 1.5 } } })[0]).toMatch(/^cache\.semantic\.threshold: /);
    expect(problems({ cache: { scope: 'everyone' } as never })[0]).toMatch(/^cache\.scope: /);
  });
});
