import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll } from 'vitest';
import { deleteRedisKeys } from '../../test/helpers/redis.js';
import { describeCacheStoreContract } from './cache-store.contract.js';
import { createTestClock } from './counter-store.contract.js';
import { createMemoryCacheStore } from './memory/memory-cache-store.js';
import { createRedisCacheStore } from './redis/redis-cache-store.js';
import { createSqliteCacheStore } from './sqlite/sqlite-cache-store.js';

describeCacheStoreContract(
  'memory',
  (limits) => {
    const clock = createTestClock();
    return {
      store: createMemoryCacheStore({ ...limits, now: clock.now }),
      elapse: async (ms) => clock.advance(ms),
    };
  },
  { lru: true },
);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cache-'));
let files = 0;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeCacheStoreContract(
  'sqlite',
  (limits) => {
    const clock = createTestClock();
    return {
      store: createSqliteCacheStore({
        ...limits,
        path: path.join(dir, `cache-${files++}.db`),
        now: clock.now,
        flushMs: 5,
      }),
      elapse: async (ms) => clock.advance(ms),
    };
  },
  { lru: true },
);

const REDIS_URL = process.env.REDIS_URL;

describeCacheStoreContract(
  'redis',
  (limits) => {
    const prefix = `switchyard-test-cache-${randomUUID()}:`;
    const store = createRedisCacheStore({ ...limits, url: REDIS_URL!, prefix });
    return {
      store: {
        ...store,
        async close() {
          await store.close();
          await deleteRedisKeys(REDIS_URL!, prefix);
        },
      },
      elapse: (ms) => sleep(ms),
    };
  },
  { skip: REDIS_URL === undefined || REDIS_URL === '', lru: false, ttlMs: 100 },
);
