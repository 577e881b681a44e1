/**
 * @module storage/cache-ports
 * The storage port of the response cache (DESIGN.md §3 `CacheStore`): opaque values under string
 * keys, each with its own time to live, in a store bounded by entry count (and, where the backend
 * holds the bytes itself, by total bytes). The cache decides what a key and a value are; a store
 * only keeps bytes, drops them when they expire or when room is needed, and never blocks the
 * caller on I/O longer than one small operation. Implementations: memory (LRU), SQLite (the
 * memory store written behind to the database file) and Redis (shared by replicas). One contract
 * suite (`cache-store.contract.ts`) holds them to the same behaviour.
 */

/** The bounds every cache store enforces. */
export interface CacheStoreLimits {
  /** Most entries held; past it the least recently used (memory, SQLite) or soonest to expire (Redis) go. */
  maxEntries: number;
  /** Most bytes of keys and values held (memory, SQLite); Redis leaves this to `maxmemory`. */
  maxBytes?: number;
  /** Largest value accepted; a larger one is refused, not truncated. */
  maxValueBytes: number;
}

export const DEFAULT_CACHE_LIMITS: Readonly<Required<CacheStoreLimits>> = Object.freeze({
  maxEntries: 1_000,
  maxBytes: 64 * 1024 * 1024,
  maxValueBytes: 1024 * 1024,
});

/** A key–value store with per-entry expiry, bounded in entries and bytes. */
export interface CacheStore {
  /** The bytes stored under `key`; undefined when absent, expired or evicted. */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Stores `value` under `key` for `ttlMs`, replacing what was there. Resolves false, storing
   * nothing and leaving the key as it was, when the value is larger than `maxValueBytes` or the
   * ttl is not positive.
   */
  set(key: string, value: Uint8Array | string, ttlMs: number): Promise<boolean>;
  /** Removes the entry; false when there was none. */
  delete(key: string): Promise<boolean>;
  /** Removes every entry whose key starts with `prefix` (every entry without one); resolves to how many. */
  clear(prefix?: string): Promise<number>;
  close(): Promise<void>;
}

/** The value as bytes (strings as UTF-8), without copying a Buffer. */
export function valueBytes(value: Uint8Array | string): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
