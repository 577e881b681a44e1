/**
 * @module storage/sqlite/sqlite-cache-store
 * The CacheStore kept across restarts in SQLite, for a gateway running as one process. Entries
 * live in the memory store (LRU by entries and bytes, reads never touch the disk) and their
 * changes are written behind, one transaction every `flushMs`, off the caller's stack — the
 * request path does no synchronous I/O. At start the store reloads the unexpired entries, oldest
 * first, within its bounds, and deletes the expired ones. A crash loses at most the last
 * `flushMs` of changes, which for a cache only means a few more misses.
 *
 * The table sits in the database file of the ledger and the admission stores (its own
 * connection, WAL). Recency of use is not written (that would be a write per hit): after a
 * restart the entries are ordered by when they were stored. One process owns the cache of a
 * file; replicas share one through Redis.
 */

import type Database from 'better-sqlite3';
import type { CacheStore, CacheStoreLimits } from '../cache-ports.js';
import { type CacheRow, createMemoryCacheStore } from '../memory/memory-cache-store.js';
import { createBatchFlusher } from './batch-flusher.js';
import { type Migration, runMigrations } from './migrations.js';
import { openAdmissionDatabase } from './sqlite-counter-store.js';

export const CACHE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'response cache entries',
    sql: `
      CREATE TABLE cache_entries (
        key        TEXT PRIMARY KEY,
        value      BLOB NOT NULL,
        expires_at INTEGER NOT NULL,
        stored_at  INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX cache_entries_expires_at ON cache_entries (expires_at);
    `,
  },
];

export interface SqliteCacheStoreOptions extends Partial<CacheStoreLimits> {
  /** Database file, or an open connection to share. */
  path?: string;
  db?: Database.Database;
  now?: () => number;
  /** Longest a change waits in memory before it is written; default 200 ms. */
  flushMs?: number;
  /** Told about a failed write; the changes stay pending and go with the next batch. */
  onError?: (error: unknown) => void;
}

/** The upper bound of keys starting with `prefix`, for a range delete that uses the primary key. */
function prefixEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

export function createSqliteCacheStore(options: SqliteCacheStoreOptions): CacheStore {
  const owned = options.db === undefined;
  const db = options.db ?? openAdmissionDatabase(options.path ?? ':memory:');
  runMigrations(db, 'cache', CACHE_MIGRATIONS);
  const now = options.now ?? Date.now;
  const flushMs = Math.max(0, options.flushMs ?? 200);
  const onError =
    options.onError ?? ((error: unknown) => process.emitWarning(`cache write failed: ${error}`));

  db.prepare<[number]>('DELETE FROM cache_entries WHERE expires_at <= ?').run(now());
  const initial = db
    .prepare<[], CacheRow>(
      'SELECT key, value, expires_at AS expiresAt FROM cache_entries ORDER BY stored_at, key',
    )
    .iterate();

  const upsert = db.prepare<[string, Buffer, number, number]>(
    `INSERT INTO cache_entries (key, value, expires_at, stored_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, stored_at = excluded.stored_at`,
  );
  const remove = db.prepare<[string]>('DELETE FROM cache_entries WHERE key = ?');
  const removeRange = db.prepare<[string, string]>('DELETE FROM cache_entries WHERE key >= ? AND key < ?');
  const removeExpired = db.prepare<[number]>('DELETE FROM cache_entries WHERE expires_at <= ?');

  // Pending changes, newest per key (null: delete); prefixes cleared since the last write, which
  // run first — any change made after a clear is in `pending`, anything before it was dropped.
  let pending = new Map<string, { value: Buffer; expiresAt: number; storedAt: number } | null>();
  let cleared: string[] = [];

  const write = db.transaction(
    (
      batch: Map<string, { value: Buffer; expiresAt: number; storedAt: number } | null>,
      prefixes: string[],
      at: number,
    ) => {
      for (const prefix of prefixes) removeRange.run(prefix, prefixEnd(prefix));
      for (const [key, row] of batch) {
        if (row === null) remove.run(key);
        else upsert.run(key, row.value, row.expiresAt, row.storedAt);
      }
      removeExpired.run(at);
    },
  );

  const flusher = createBatchFlusher({
    flushMs,
    onError,
    db,
    take() {
      if (pending.size === 0 && cleared.length === 0) return undefined;
      const batch = { rows: pending, prefixes: cleared };
      pending = new Map();
      cleared = [];
      return batch;
    },
    write: ({ rows, prefixes }) => write.immediate(rows, prefixes, now()),
    restore({ rows, prefixes }) {
      for (const [key, row] of rows) if (!pending.has(key)) pending.set(key, row);
      cleared = [...prefixes, ...cleared];
    },
  });
  const schedule = flusher.schedule;

  return createMemoryCacheStore({
    ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    ...(options.maxValueBytes === undefined ? {} : { maxValueBytes: options.maxValueBytes }),
    now,
    initial,
    journal: {
      set(key, value, expiresAt) {
        pending.set(key, { value, expiresAt, storedAt: now() });
        schedule();
      },
      deleted(key) {
        pending.set(key, null);
        schedule();
      },
      cleared(prefix) {
        for (const key of pending.keys()) if (key.startsWith(prefix)) pending.delete(key);
        cleared.push(prefix);
        schedule();
      },
    },
    async onClose() {
      flusher.close();
      if (owned) db.close();
    },
  });
}
