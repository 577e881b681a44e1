/**
 * @module admission/stores
 * The admission stores the config names. Keys live where `storage.url` points: `memory://` in the
 * process, `sqlite://PATH` in the ledger's database file (own tables, one shared connection),
 * `postgres://…` in the ledger's PostgreSQL schema, shared by every replica. Counters (budgets
 * and rate limits) live in Redis when `storage.redis_url` is set — the only way limits hold
 * across replicas — behind the failover store that applies `storage.redis_down` while Redis is
 * unreachable; otherwise in the SQLite file (written behind, so one gateway process owns them)
 * or in memory.
 *
 * When Redis holds no counters (a cold start, or it restarted without persistence), `onReset`
 * is handed a `seed` function: the gateway sums each budget's spend from the ledger and raises
 * the counters to it. Seeding only ever raises a counter, so every replica may do it.
 */

import type { Config } from '../config/schema.js';
import type { CounterStore, KeyStore } from '../storage/admission-ports.js';
import { createMemoryCounterStore } from '../storage/memory/memory-counter-store.js';
import { createMemoryKeyStore } from '../storage/memory/memory-key-store.js';
import { createSqliteCounterStore, openAdmissionDatabase } from '../storage/sqlite/sqlite-counter-store.js';
import { createSqliteKeyStore } from '../storage/sqlite/sqlite-key-store.js';

export interface AdmissionStores {
  counters: CounterStore;
  keys: KeyStore;
  /** Set when the stores are weaker than the storage the config names (to log at start). */
  warning?: string;
  close(): Promise<void>;
}

export function sqlitePathOf(url: string): string | undefined {
  if (!url.startsWith('sqlite://')) return undefined;
  return url.slice('sqlite://'.length) || './switchyard.db';
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

/** Raises a budget counter's settled amount to at least `used` nano-dollars. */
export type SeedCounter = (key: string, used: number) => Promise<unknown>;

export interface AdmissionStoresOptions {
  now?: () => number;
  /** Told when a write-behind batch of counters fails (it is retried), or Redis misbehaves. */
  onError?: (error: unknown) => void;
  /**
   * Redis holds no counters: re-seed the budgets (see the module comment). May run before
   * `openAdmissionStores` returns (a cold Redis at start), hence the key store is handed in.
   */
  onReset?: (tools: { seed: SeedCounter; keys: KeyStore }, info: { atStart: boolean }) => Promise<void>;
  /** The counters moved between Redis and the `storage.redis_down` policy. */
  onStateChange?: (state: 'redis' | 'degraded', cause?: unknown) => void;
}

type StorageConfig = Pick<Config['storage'], 'url' | 'redis_url' | 'redis_prefix' | 'redis_down'>;

async function openKeys(
  url: string,
  db: ReturnType<typeof openAdmissionDatabase> | undefined,
): Promise<KeyStore> {
  if (db !== undefined) return createSqliteKeyStore({ db });
  if (isPostgresUrl(url)) {
    // Loaded only when named: node-postgres costs tens of milliseconds at start-up.
    const { createPostgresKeyStore } = await import('../storage/postgres/postgres-key-store.js');
    return createPostgresKeyStore({ url });
  }
  return createMemoryKeyStore();
}

async function openRedisCounters(
  storage: StorageConfig & { redis_url: string },
  keys: KeyStore,
  options: AdmissionStoresOptions,
): Promise<CounterStore> {
  const [{ createRedisCounterStore }, { createFailoverCounterStore }] = await Promise.all([
    import('../storage/redis/redis-counter-store.js'),
    import('../storage/redis/failover-counter-store.js'),
  ]);
  const clock = options.now === undefined ? {} : { now: options.now };
  const onError = options.onError ?? (() => {});
  const redis = await createRedisCounterStore({
    url: storage.redis_url,
    prefix: `${storage.redis_prefix}counters:`,
    onError,
    ...clock,
  });
  const onReset = options.onReset;
  return createFailoverCounterStore({
    redis,
    policy: storage.redis_down,
    onError,
    ...clock,
    ...(options.onStateChange === undefined ? {} : { onStateChange: options.onStateChange }),
    ...(onReset === undefined
      ? {}
      : {
          // The Redis store itself, not the failover one: this may run before that one exists.
          onReset: (info: { atStart: boolean }) =>
            onReset({ seed: (key, used) => redis.seedUsed(key, used), keys }, info),
        }),
  });
}

export async function openAdmissionStores(
  storage: StorageConfig,
  options: AdmissionStoresOptions = {},
): Promise<AdmissionStores> {
  const { url } = storage;
  const path = sqlitePathOf(url);
  const known = url === 'memory://' || url === 'memory' || path !== undefined || isPostgresUrl(url);
  if (!known) {
    throw new Error(
      `storage.url: unsupported storage "${url.split(':')[0]}"; use sqlite://PATH, postgres://… or memory://`,
    );
  }
  const db = path === undefined ? undefined : openAdmissionDatabase(path);
  const keys = await openKeys(url, db);
  let counters: CounterStore;
  let warning: string | undefined;
  const redisUrl = storage.redis_url;
  if (redisUrl !== undefined && redisUrl !== '') {
    counters = await openRedisCounters({ ...storage, redis_url: redisUrl }, keys, options);
  } else if (db !== undefined) {
    counters = createSqliteCounterStore({
      db,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
  } else {
    counters = createMemoryCounterStore(options.now === undefined ? {} : { now: options.now });
    if (isPostgresUrl(url)) {
      warning =
        'budgets and rate limits are counted in this process because storage.redis_url is not set: ' +
        'replicas sharing this PostgreSQL database do not share limits';
    }
  }
  return {
    counters,
    keys,
    ...(warning === undefined ? {} : { warning }),
    async close() {
      await counters.close();
      await keys.close();
      db?.close();
    },
  };
}
