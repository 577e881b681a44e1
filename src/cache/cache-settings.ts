/**
 * @module cache/cache-settings
 * The `cache:` config block resolved once at start: the seed's names (`ttl`, `max_size`) folded
 * into the native ones, seconds into milliseconds, `store: auto` into a backend.
 */

import type { Config } from '../config/schema.js';

export type CacheScope = 'project' | 'key' | 'global';
export type CacheBackend = 'memory' | 'sqlite' | 'redis';

export interface CacheSettings {
  ttlMs: number;
  maxEntries: number;
  maxBytes: number;
  maxEntryBytes: number;
  scope: CacheScope;
  cacheNondeterministic: boolean;
  backend: CacheBackend;
  redisPrefix: string;
  semantic: { enabled: boolean; threshold: number; maxEntries: number };
}

export const DEFAULT_CACHE_TTL_S = 3_600;
export const DEFAULT_CACHE_MAX_ENTRIES = 1_000;

export function resolveCacheSettings(config: Pick<Config, 'cache' | 'storage'>): CacheSettings {
  const cache = config.cache;
  const ttlS = cache.ttl_s ?? cache.ttl ?? DEFAULT_CACHE_TTL_S;
  const url = config.storage.url;
  const redisUrl = config.storage.redis_url;
  let backend: CacheBackend;
  if (cache.store !== 'auto') backend = cache.store;
  else if (redisUrl !== undefined && redisUrl !== '') backend = 'redis';
  else if (url.startsWith('sqlite://')) backend = 'sqlite';
  else backend = 'memory';
  return {
    ttlMs: Math.max(1, Math.round(ttlS * 1000)),
    maxEntries: cache.max_entries ?? cache.max_size ?? DEFAULT_CACHE_MAX_ENTRIES,
    maxBytes: cache.max_bytes,
    maxEntryBytes: cache.max_entry_bytes,
    scope: cache.scope,
    cacheNondeterministic: cache.cache_nondeterministic,
    backend,
    redisPrefix: cache.redis_prefix ?? `${config.storage.redis_prefix}cache:`,
    semantic: {
      enabled: cache.semantic.enabled,
      threshold: cache.semantic.threshold,
      maxEntries: cache.semantic.max_entries,
    },
  };
}
