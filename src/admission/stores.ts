/**
 * @module admission/stores
 * The admission stores `storage.url` names: `memory://` keeps keys and counters in the process;
 * `sqlite://PATH` keeps them in the ledger's database file, in their own tables, over one shared
 * connection (the ledger writes through its own); the counters are written behind, so one
 * gateway process owns them. With `postgres://` they stay in memory, with a
 * warning, until the PostgreSQL (and Redis) implementations of the ports exist.
 */

import type { CounterStore, KeyStore } from '../storage/admission-ports.js';
import { createMemoryCounterStore } from '../storage/memory/memory-counter-store.js';
import { createMemoryKeyStore } from '../storage/memory/memory-key-store.js';
import { createSqliteCounterStore, openAdmissionDatabase } from '../storage/sqlite/sqlite-counter-store.js';
import { createSqliteKeyStore } from '../storage/sqlite/sqlite-key-store.js';

export interface AdmissionStores {
  counters: CounterStore;
  keys: KeyStore;
  /** Set when the stores are weaker than the storage the URL names (to log at start). */
  warning?: string;
  close(): Promise<void>;
}

function memoryStores(clock: { now?: () => number }, warning?: string): AdmissionStores {
  const counters = createMemoryCounterStore(clock);
  const keys = createMemoryKeyStore();
  return {
    counters,
    keys,
    ...(warning === undefined ? {} : { warning }),
    async close() {
      await counters.close();
      await keys.close();
    },
  };
}

export function sqlitePathOf(url: string): string | undefined {
  if (!url.startsWith('sqlite://')) return undefined;
  return url.slice('sqlite://'.length) || './switchyard.db';
}

export interface AdmissionStoresOptions {
  now?: () => number;
  /** Told when a write-behind batch of counters fails (it is retried with the next one). */
  onError?: (error: unknown) => void;
}

export function openAdmissionStores(url: string, options: AdmissionStoresOptions = {}): AdmissionStores {
  const clock = options.now === undefined ? {} : { now: options.now };
  if (url === 'memory://' || url === 'memory') return memoryStores(clock);
  const path = sqlitePathOf(url);
  if (path !== undefined) {
    const db = openAdmissionDatabase(path);
    const counters = createSqliteCounterStore({
      db,
      ...clock,
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
    const keys = createSqliteKeyStore({ db });
    return {
      counters,
      keys,
      async close() {
        await counters.close();
        await keys.close();
        db.close();
      },
    };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return memoryStores(
      clock,
      'virtual keys, budgets and rate limits are kept in this process until their PostgreSQL stores exist: ' +
        'keys vanish on restart and replicas do not share limits',
    );
  }
  throw new Error(`storage.url: unsupported storage "${url.split(':')[0]}"; use sqlite://PATH or memory://`);
}
