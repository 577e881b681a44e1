/**
 * @module storage/redis/redis-cache-store
 * The CacheStore on Redis, shared by every replica. Each entry is one string key
 * (`<prefix>e:<key>`) written with `SET … PX ttl`, so Redis itself expires it. With `maxEntries`
 * the store also keeps an index, a sorted set of entry keys scored by expiry time: one Lua script
 * writes the entry, drops index members that have expired and, past the bound, deletes the
 * entries closest to expiry — with one ttl for every entry (the gateway's case) that is the
 * oldest first. Reads do not reorder anything (that would be a write per hit), so this is FIFO,
 * not LRU; for byte bounds and LRU, give Redis a `maxmemory` with `allkeys-lru` (or
 * `volatile-lru`), which evicts these keys like any other. The script touches keys it does not
 * declare, so on Redis Cluster the prefix must hold a hash tag (`{switchyard}:cache:`).
 *
 * Every command has a timeout (`commandTimeoutMs`): a cache that does not answer must cost a
 * request a bounded wait, after which the caller treats it as a miss.
 */

import { Redis } from 'ioredis';
import { type CacheStore, type CacheStoreLimits, DEFAULT_CACHE_LIMITS, valueBytes } from '../cache-ports.js';

export interface RedisCacheStoreOptions extends Partial<CacheStoreLimits> {
  /** `redis://…`; ignored when `connection` is given. */
  url?: string;
  /** A connection to share; not closed by `close()`. */
  connection?: Redis;
  /** Prepended to every key; default `switchyard:cache:`. */
  prefix?: string;
  /** Longest one command may take before it fails; default 500 ms. */
  commandTimeoutMs?: number;
  /** Keys deleted per round trip by `clear`; default 500. */
  scanCount?: number;
  /** Told about connection errors of an owned connection (commands fail on their own). */
  onError?: (error: unknown) => void;
}

// KEYS: entry, index. ARGV: value, ttl ms, expires at, now, max entries.
const SET_BOUNDED = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if excess > 0 then
  local victims = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
  for i = 1, #victims, 500 do
    redis.call('UNLINK', unpack(victims, i, math.min(i + 499, #victims)))
  end
end
return 1
`;

/** `*`, `?`, `[`, `]` and `\` are glob syntax in SCAN MATCH: escape them to match literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

export function createRedisCacheStore(options: RedisCacheStoreOptions): CacheStore {
  const owned = options.connection === undefined;
  const commandTimeout = options.commandTimeoutMs ?? 500;
  const redis =
    options.connection ??
    new Redis(options.url ?? 'redis://127.0.0.1:6379', {
      commandTimeout,
      maxRetriesPerRequest: 1,
      // A cache is optional: never let a reconnect loop hold requests for long.
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
  if (owned) redis.on('error', options.onError ?? (() => {}));
  const prefix = options.prefix ?? 'switchyard:cache:';
  const entryPrefix = `${prefix}e:`;
  const indexKey = `${prefix}index`;
  const maxEntries = options.maxEntries;
  const maxValueBytes = options.maxValueBytes ?? DEFAULT_CACHE_LIMITS.maxValueBytes;
  const scanCount = options.scanCount ?? 500;
  let closed = false;

  function check(): void {
    if (closed) throw new Error('cache store is closed');
  }

  return {
    async get(key) {
      check();
      const value = await redis.getBuffer(entryPrefix + key);
      return value ?? undefined;
    },

    async set(key, value, ttlMs) {
      check();
      if (!(ttlMs > 0)) return false;
      const bytes = valueBytes(value);
      if (bytes.byteLength > maxValueBytes) return false;
      const ttl = Math.max(1, Math.ceil(ttlMs));
      const entry = entryPrefix + key;
      if (maxEntries === undefined) {
        await redis.set(entry, bytes, 'PX', ttl);
        return true;
      }
      const at = Date.now();
      await redis.eval(SET_BOUNDED, 2, entry, indexKey, bytes, ttl, at + ttl, at, maxEntries);
      return true;
    },

    async delete(key) {
      check();
      const entry = entryPrefix + key;
      const [deleted] = await Promise.all([
        redis.del(entry),
        maxEntries === undefined ? Promise.resolve(0) : redis.zrem(indexKey, entry),
      ]);
      return deleted > 0;
    },

    async clear(keyPrefix = '') {
      check();
      const match = `${globEscape(entryPrefix + keyPrefix)}*`;
      let cursor = '0';
      let count = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', scanCount);
        cursor = next;
        if (keys.length === 0) continue;
        count += await redis.del(...keys);
        if (maxEntries !== undefined) await redis.zrem(indexKey, ...keys);
      } while (cursor !== '0');
      return count;
    },

    async close() {
      if (closed) return;
      closed = true;
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
