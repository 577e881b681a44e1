/**
 * @module cache/cache-metrics
 * `switchyard_cache_requests_total{result}` — every chat request the cache saw: `hit` (with
 * `match="exact"` or `"semantic"`), `miss`, or `skip` (not looked up: `no-cache`/`no-store`, a
 * request the policy leaves out, or the store unavailable) — and
 * `switchyard_cache_writes_total{result}`: answers `stored`, `refused` (too large) or `failed`.
 * Plain cells on the gateway's private registry (see observability/series.ts): a lookup adds 1.
 */

import type { Registry } from 'prom-client';
import {
  createValueCell,
  registerCollector,
  SeriesTable,
  type ValueCell,
  valueLines,
} from '../observability/series.js';

export type CacheResult = 'hit' | 'miss' | 'skip';
export type CacheMatch = 'exact' | 'semantic';
export type CacheWrite = 'stored' | 'refused' | 'failed';

export interface CacheMetrics {
  request(result: CacheResult, match?: CacheMatch): void;
  write(result: CacheWrite): void;
}

/** Resets by zeroing: the cells stay the ones `request` and `write` hold on to. */
function zero(table: SeriesTable<ValueCell>): void {
  for (const cell of table.all()) cell.value = 0;
}

export function createCacheMetrics(registry: Registry | undefined, prefix = 'switchyard_'): CacheMetrics {
  if (registry === undefined) return { request() {}, write() {} };
  const requests = new SeriesTable<ValueCell>(['result', 'match'], createValueCell, 16);
  const writes = new SeriesTable<ValueCell>(['result'], createValueCell, 8);
  registerCollector(registry, {
    name: `${prefix}cache_requests_total`,
    help: 'Chat requests seen by the response cache, by result (hit, miss, skip) and match of a hit.',
    type: 'counter',
    values: () => valueLines(requests),
    reset: () => zero(requests),
  });
  registerCollector(registry, {
    name: `${prefix}cache_writes_total`,
    help: 'Answers offered to the response cache, by result (stored, refused, failed).',
    type: 'counter',
    values: () => valueLines(writes),
    reset: () => zero(writes),
  });
  const cells = {
    exact: requests.get(['hit', 'exact']),
    semantic: requests.get(['hit', 'semantic']),
    miss: requests.get(['miss', undefined]),
    skip: requests.get(['skip', undefined]),
    stored: writes.get(['stored']),
    refused: writes.get(['refused']),
    failed: writes.get(['failed']),
  };
  return {
    request(result, match = 'exact') {
      cells[result === 'hit' ? match : result].value += 1;
    },
    write(result) {
      cells[result].value += 1;
    },
  };
}
