import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCacheStore } from './redis-cache-store.js';

const REDIS_URL = process.env.REDIS_URL;
const prefix = `switchyard-test-cache-${randomUUID()}:`;

describe.skipIf(REDIS_URL === undefined || REDIS_URL === '')(
  'createRedisCacheStore — Redis specifics',
  () => {
    let admin: Redis;
    beforeAll(() => {
      admin = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
    });
    afterAll(async () => {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
    });

    it('writes every key under its prefix with a Redis ttl, and keeps no index when unbounded', async () => {
      const store = createRedisCacheStore({ url: REDIS_URL!, prefix: `${prefix}u:`, maxValueBytes: 1_000 });
      await store.set('k', 'v', 60_000);
      const ttl = await admin.pttl(`${prefix}u:e:k`);
      expect(ttl).toBeGreaterThan(59_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await admin.exists(`${prefix}u:index`)).toBe(0);
      expect(await store.clear()).toBe(1);
      await store.close();
    });

    it('bounded: the index holds one member per live entry and forgets expired ones', async () => {
      const store = createRedisCacheStore({
        url: REDIS_URL!,
        prefix: `${prefix}b:`,
        maxEntries: 3,
        maxValueBytes: 1_000,
      });
      await store.set('short', 'v', 30);
      await new Promise((resolve) => setTimeout(resolve, 60));
      for (const key of ['a', 'b', 'c', 'd']) await store.set(key, key, 60_000);
      expect(await admin.zcard(`${prefix}b:index`)).toBe(3);
      expect(await store.get('a')).toBeUndefined();
      expect((await store.get('d'))?.toString()).toBe('d');
      await store.delete('d');
      expect(await admin.zcard(`${prefix}b:index`)).toBe(2);
      await store.clear();
      expect(await admin.zcard(`${prefix}b:index`)).toBe(0);
      await store.close();
    });

    it('a Redis that does not answer fails the command within its timeout', async () => {
      // Nothing listens on port 1: the command fails fast instead of hanging the request.
      const store = createRedisCacheStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 });
      const started = Date.now();
      await expect(store.get('k')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2_000);
      await store.close();
    });
  },
);
