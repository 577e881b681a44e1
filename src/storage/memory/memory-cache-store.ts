/**
 * @module storage/memory/memory-cache-store
 * The CacheStore of one process: an LRU bounded by entry count and by bytes, with a ttl per
 * entry. A Map iterates in insertion order, so moving an entry to the end on every read makes the
 * first entry the least recently used and every operation O(1) (`clear(prefix)` walks the keys).
 * Expiry is lazy — an expired entry is dropped when it is read or when eviction reaches it — so an
 * idle store holds no timers.
 *
 * A journal, when given, hears every change right after it is made (the SQLite store persists
 * through it), and `initial` seeds the store at start, oldest first.
 */

import { type CacheStore, type CacheStoreLimits, DEFAULT_CACHE_LIMITS, valueBytes } from '../cache-ports.js';

/** Bytes counted per entry on top of its key and value: the Map slot and the entry object. */
export const ENTRY_OVERHEAD_BYTES = 64;

/** One persisted entry. */
export interface CacheRow {
  key: string;
  value: Buffer;
  expiresAt: number;
}

/** Told about each change on the caller's stack: keep it cheap. */
export interface CacheJournal {
  set(key: string, value: Buffer, expiresAt: number): void;
  /** The entry is gone: deleted, expired or evicted. */
  deleted(key: string): void;
  cleared(prefix: string): void;
}

export interface MemoryCacheStoreOptions extends Partial<CacheStoreLimits> {
  now?: () => number;
  journal?: CacheJournal;
  /** Entries to start with, least recently used first; expired ones are skipped. */
  initial?: Iterable<CacheRow>;
  /** Runs on close (the SQLite store's last write). */
  onClose?: () => Promise<void>;
}

interface Entry {
  value: Buffer;
  expiresAt: number;
  bytes: number;
}

export function createMemoryCacheStore(options: MemoryCacheStoreOptions = {}): CacheStore {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? DEFAULT_CACHE_LIMITS.maxEntries;
  const maxBytes = options.maxBytes ?? DEFAULT_CACHE_LIMITS.maxBytes;
  const maxValueBytes = options.maxValueBytes ?? DEFAULT_CACHE_LIMITS.maxValueBytes;
  const journal = options.journal;
  const entries = new Map<string, Entry>();
  let bytes = 0;
  let closed = false;

  function remove(key: string, entry: Entry): void {
    entries.delete(key);
    bytes -= entry.bytes;
    journal?.deleted(key);
  }

  /** Evicts least recently used entries until `extraBytes` more fit. */
  function makeRoom(extraBytes: number): void {
    while (entries.size > 0 && (entries.size >= maxEntries || bytes + extraBytes > maxBytes)) {
      const oldest = entries.entries().next().value;
      if (oldest === undefined) break;
      remove(oldest[0], oldest[1]);
    }
  }

  function insert(key: string, value: Buffer, expiresAt: number): boolean {
    const size = Buffer.byteLength(key) + value.byteLength + ENTRY_OVERHEAD_BYTES;
    if (value.byteLength > maxValueBytes || size > maxBytes) return false;
    const previous = entries.get(key);
    if (previous !== undefined) {
      entries.delete(key);
      bytes -= previous.bytes;
    }
    makeRoom(size);
    entries.set(key, { value, expiresAt, bytes: size });
    bytes += size;
    return true;
  }

  const at = now();
  for (const row of options.initial ?? []) {
    if (row.expiresAt > at) insert(row.key, row.value, row.expiresAt);
  }

  function check(): void {
    if (closed) throw new Error('cache store is closed');
  }

  return {
    async get(key) {
      check();
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now()) {
        remove(key, entry);
        return undefined;
      }
      // Most recently used goes last.
      entries.delete(key);
      entries.set(key, entry);
      return Buffer.from(entry.value);
    },

    async set(key, value, ttlMs) {
      check();
      if (!(ttlMs > 0)) return false;
      const bytesIn = valueBytes(value);
      if (bytesIn.byteLength > maxValueBytes) return false;
      // Our own copy: the caller may reuse its buffer.
      const stored = typeof value === 'string' ? bytesIn : Buffer.from(bytesIn);
      const expiresAt = now() + ttlMs;
      if (!insert(key, stored, expiresAt)) return false;
      journal?.set(key, stored, expiresAt);
      return true;
    },

    async delete(key) {
      check();
      const entry = entries.get(key);
      if (entry === undefined) return false;
      const live = entry.expiresAt > now();
      remove(key, entry);
      return live;
    },

    async clear(prefix = '') {
      check();
      let count = 0;
      const at = now();
      for (const [key, entry] of entries) {
        if (!key.startsWith(prefix)) continue;
        entries.delete(key);
        bytes -= entry.bytes;
        if (entry.expiresAt > at) count++;
      }
      journal?.cleared(prefix);
      return count;
    },

    async close() {
      if (closed) return;
      closed = true;
      await options.onClose?.();
      entries.clear();
      bytes = 0;
    },
  };
}
