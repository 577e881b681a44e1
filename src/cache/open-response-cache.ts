/**
 * @module cache/open-response-cache
 * The response cache `cache:` asks for, on the store it names: memory (`memory://`, or
 * `store: memory`), the SQLite file of `storage.url` (`sqlite://…`), or Redis
 * (`storage.redis_url`), which replicas share. Undefined when the cache is off. Redis is loaded
 * only when named: ioredis costs start-up time that single-process gateways need not pay.
 */

import type { Registry as MetricsRegistry } from 'prom-client';
import { sqlitePathOf } from '../admission/stores.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { CacheStore, CacheStoreLimits } from '../storage/cache-ports.js';
import { createMemoryCacheStore } from '../storage/memory/memory-cache-store.js';
import { createSqliteCacheStore } from '../storage/sqlite/sqlite-cache-store.js';
import { type CacheSettings, resolveCacheSettings } from './cache-settings.js';
import { createResponseCache, type ResponseCache } from './response-cache.js';

export interface OpenResponseCacheOptions {
  logger: Logger;
  metricsRegistry?: MetricsRegistry;
  now?: () => number;
}

async function openStore(
  config: Config,
  settings: CacheSettings,
  logger: Logger,
  now: (() => number) | undefined,
): Promise<CacheStore> {
  const clock = now === undefined ? {} : { now };
  const limits: CacheStoreLimits = {
    maxEntries: settings.maxEntries,
    maxBytes: settings.maxBytes,
    maxValueBytes: settings.maxEntryBytes,
  };
  switch (settings.backend) {
    case 'memory':
      return createMemoryCacheStore({ ...limits, ...clock });
    case 'sqlite': {
      const path = sqlitePathOf(config.storage.url);
      if (path === undefined) throw new Error('cache.store: sqlite needs storage.url to be sqlite://PATH');
      return createSqliteCacheStore({
        ...limits,
        ...clock,
        path,
        onError: (error) => logger.error('response cache write failed; will retry', { error }),
      });
    }
    case 'redis': {
      const url = config.storage.redis_url;
      if (url === undefined || url === '') throw new Error('cache.store: redis needs storage.redis_url');
      const { createRedisCacheStore } = await import('../storage/redis/redis-cache-store.js');
      return createRedisCacheStore({
        ...limits,
        url,
        prefix: settings.redisPrefix,
        onError: (error) => logger.debug('response cache connection error', { error }),
      });
    }
  }
}

export async function openResponseCache(
  config: Config,
  options: OpenResponseCacheOptions,
): Promise<ResponseCache | undefined> {
  if (!config.cache.enabled) return undefined;
  const settings = resolveCacheSettings(config);
  const store = await openStore(config, settings, options.logger, options.now);
  return createResponseCache({
    settings,
    store,
    logger: options.logger,
    ...(options.metricsRegistry === undefined ? {} : { metricsRegistry: options.metricsRegistry }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}
