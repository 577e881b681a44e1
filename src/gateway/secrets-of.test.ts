import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../config/load.js';
import { secretsOf } from './create-gateway.js';

describe('secretsOf', () => {
  it('includes the master key, provider keys, and the database and Redis passwords', () => {
    const { config } = parseConfigObject({
      auth: { master_key: 'sk-master-0123456789abcdef' },
      providers: { o: { type: 'openai', api_key: 'sk-provider-0123456789' } },
      storage: {
        url: 'postgres://app:pg%40secret-pw@db:5432/x',
        redis_url: 'redis://:redis-secret-pw@cache:6379',
      },
    });
    expect(secretsOf(config)).toEqual(
      expect.arrayContaining([
        'sk-master-0123456789abcdef',
        'sk-provider-0123456789',
        'pg@secret-pw',
        'redis-secret-pw',
      ]),
    );
  });

  it('adds nothing for URLs without a password', () => {
    const { config } = parseConfigObject({
      storage: { url: 'sqlite://./x.db', redis_url: 'redis://cache:6379' },
    });
    expect(secretsOf(config)).toEqual([]);
  });
});
