/**
 * @module storage/redis/redis-counter-store
 * The CounterStore on Redis, shared by every replica of a scaled-out gateway. Each operation is
 * one Lua script (redis-counter-store-scripts.ts), sent with EVALSHA and loaded with EVAL when
 * the server answers NOSCRIPT, so a check-and-add runs alone on the server and replicas between
 * them never pass a limit. The sliding window decides with the same arithmetic as
 * counter-window.ts, and the WindowHit is built by `decideHit` itself, so memory, SQLite and Redis
 * answer alike.
 *
 * The clock is the caller's: every script takes `now` as an argument instead of reading the
 * server's TIME, so the contract suite's test clock drives lapsing, grace periods and windows
 * (replicas should run NTP; a clock behind the others only lapses later). Reservation ids carry
 * their counter key (`<uuid>:<key>`), so a settle names all its keys up front as Redis asks.
 *
 * Keys expire so that abandoned state does not pile up: a rate bucket two windows after its last
 * hit, a counter's reservation state its ttl plus the grace period after its latest reservation,
 * a settled amount `usedTtlMs` (default 400 days) after its last charge — enough for daily and
 * monthly budget periods; a `total` budget idle for longer is forgotten and must be re-seeded
 * from the ledger (as after Redis lost its data, see failover-counter-store.ts). Expiry runs on
 * the server's clock, so it is only meaningful when the caller's clock is the real one.
 *
 * One Redis server (or a primary with replicas); not Redis Cluster: a counter's keys carry no
 * hash tag. Amounts, weights and deltas must be safe integers (nano-dollars, tokens, requests).
 */

import { createHash, randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { CounterState, CounterStore, ReserveResult, WindowHit } from '../admission-ports.js';
import { bucketStart, decideHit } from '../counter-window.js';
import {
  ADJUST_SCRIPT,
  CHARGE_SCRIPT,
  EPOCH_SCRIPT,
  FORGET_EPOCH_SCRIPT,
  GET_SCRIPT,
  HIT_SCRIPT,
  RESERVE_SCRIPT,
  SEED_SCRIPT,
  SETTLE_SCRIPT,
} from './redis-counter-store-scripts.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A UUID's length: reservation ids are `<uuid>:<counter key>`. */
const UUID_LENGTH = 36;
/** How long a charge id is remembered: a replayed charge is recognised for a week. */
const CHARGE_MEMORY_MS = 7 * DAY_MS;

export interface RedisCounterStoreOptions {
  /** `redis://…`; ignored when `client` is given. */
  url?: string;
  /** A connection to share; `close()` leaves it open. See `redisCounterClientOptions` for failing fast. */
  client?: Redis;
  /** Prepended to every key; default `switchyard:counters:`. */
  prefix?: string;
  /** The clock (tests inject one); defaults to Date.now. */
  now?: () => number;
  /** How long a lapsed reservation can still be settled; default one hour. */
  lapseGraceMs?: number;
  /** How long a counter's settled amount outlives its last charge; default 400 days, 0 for never. */
  usedTtlMs?: number;
  /** Longest a command of the store's own connection waits for Redis; default 250 ms. */
  commandTimeoutMs?: number;
  /** Longest the factory waits for the first connection before returning anyway; default 2,000 ms. */
  connectWaitMs?: number;
  /** Told about connection errors of the store's own connection. */
  onError?: (error: unknown) => void;
}

/** The Redis CounterStore plus what the failover wrapper and a re-seed need. */
export interface RedisCounterStore extends CounterStore {
  readonly client: Redis;
  readonly prefix: string;
  /** Resolves when Redis answers a PING. */
  ping(): Promise<void>;
  /**
   * Reads the epoch sentinel (`<prefix>epoch`), writing a fresh one when it is missing: `created`
   * is true when Redis held no counters of this prefix (first start, or it lost its data).
   */
  epoch(): Promise<{ value: string; created: boolean }>;
  /** Deletes the sentinel if it still is `value`, so that the next look finds the counters lost again. */
  forgetEpoch(value: string): Promise<void>;
  /** Raises a counter's settled amount to at least `used` (re-seeding from the ledger); idempotent. */
  seedUsed(key: string, used: number): Promise<number>;
  /** Adds `amount` to a counter's settled amount once per `chargeId` (replays do not count twice). */
  charge(key: string, amount: number, chargeId: string): Promise<number>;
  /** The counter key a reservation id of this store belongs to; undefined for a foreign id. */
  counterKeyOf(reservationId: string): string | undefined;
}

/**
 * ioredis settings for a counter connection that fails fast instead of queueing: a command
 * waits at most `commandTimeoutMs`, nothing is queued while disconnected, pending commands are
 * rejected at the first reconnect attempt, and reconnects are retried at most every second.
 */
export function redisCounterClientOptions(commandTimeoutMs = 250): RedisOptions {
  return {
    commandTimeout: commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(1_000, 4 * commandTimeoutMs),
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  };
}

type Script = (keys: string[], args: string[]) => Promise<unknown>;

/** EVALSHA, falling back to EVAL (which also caches the script) when the server does not know it. */
function defineScript(client: Redis, lua: string): Script {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (keys, args) => {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await client.eval(lua, keys.length, ...keys, ...args);
    }
  };
}

/** Resolves when the client is ready, or after `ms` (the store then fails until Redis answers). */
async function waitUntilReady(client: Redis, ms: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.once('ready', done);
  });
}

function integer(name: string, value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer, got ${value}`);
  return String(value);
}

function limitArg(limit: number): string {
  if (Number.isNaN(limit)) throw new RangeError('limit must be a number, got NaN');
  return limit === Number.POSITIVE_INFINITY
    ? 'inf'
    : limit === Number.NEGATIVE_INFINITY
      ? '-inf'
      : String(limit);
}

function stateOf(reply: unknown): CounterState {
  const [used, reserved, reservations] = reply as [string, string, number];
  return { used: Number(used), reserved: Number(reserved), reservations: Number(reservations) };
}

export async function createRedisCounterStore(options: RedisCounterStoreOptions): Promise<RedisCounterStore> {
  const now = options.now ?? Date.now;
  const prefix = options.prefix ?? 'switchyard:counters:';
  const graceMs = options.lapseGraceMs ?? HOUR_MS;
  integer('lapseGraceMs', graceMs);
  const usedKeep = integer('usedTtlMs', options.usedTtlMs ?? 400 * DAY_MS);
  const owned = options.client === undefined;
  const client =
    options.client ??
    new Redis(options.url ?? 'redis://127.0.0.1:6379', redisCounterClientOptions(options.commandTimeoutMs));
  if (owned) client.on('error', options.onError ?? (() => {}));
  await waitUntilReady(client, options.connectWaitMs ?? 2_000);

  const scripts = {
    reserve: defineScript(client, RESERVE_SCRIPT),
    settle: defineScript(client, SETTLE_SCRIPT),
    get: defineScript(client, GET_SCRIPT),
    hit: defineScript(client, HIT_SCRIPT),
    adjust: defineScript(client, ADJUST_SCRIPT),
    charge: defineScript(client, CHARGE_SCRIPT),
    seed: defineScript(client, SEED_SCRIPT),
    epoch: defineScript(client, EPOCH_SCRIPT),
    forgetEpoch: defineScript(client, FORGET_EPOCH_SCRIPT),
  };
  let closed = false;

  const counterKeys = (key: string) => [`${prefix}u:${key}`, `${prefix}l:${key}`, `${prefix}a:${key}`];
  const bucketKey = (key: string, windowMs: number, start: number) =>
    `${prefix}w:${windowMs}:${start}:${key}`;

  function counterKeyOf(reservationId: string): string | undefined {
    return reservationId.length > UUID_LENGTH + 1 && reservationId.charCodeAt(UUID_LENGTH) === 58 /* : */
      ? reservationId.slice(UUID_LENGTH + 1)
      : undefined;
  }

  function assertOpen(): void {
    if (closed) throw new Error('counter store is closed');
  }

  /** Settle (`actual` given) or release; undefined when the reservation is unknown. */
  async function finish(reservationId: string, actual: string): Promise<CounterState | undefined> {
    assertOpen();
    const key = counterKeyOf(reservationId);
    if (key === undefined) return undefined;
    const reply = await scripts.settle(counterKeys(key), [
      String(now()),
      reservationId,
      actual,
      String(graceMs),
      usedKeep,
    ]);
    return reply === null ? undefined : stateOf(reply);
  }

  return {
    client,
    prefix,

    async reserve(key, amount, limit, ttlMs): Promise<ReserveResult> {
      assertOpen();
      const at = now();
      const ttl = Math.max(0, Math.ceil(ttlMs));
      const id = `${randomUUID()}:${key}`;
      const reply = (await scripts.reserve(counterKeys(key), [
        String(at),
        integer('amount', amount),
        limitArg(limit),
        String(at + ttl),
        id,
        String(graceMs),
        String(ttl + graceMs),
      ])) as [number, string, string];
      const [ok, used, reserved] = reply;
      const result: ReserveResult = { ok: ok === 1, used: Number(used), reserved: Number(reserved) };
      if (result.ok) result.reservationId = id;
      return result;
    },

    settle(reservationId, actual) {
      return finish(reservationId, integer('actual', actual));
    },

    async release(reservationId) {
      return (await finish(reservationId, '')) !== undefined;
    },

    async get(key) {
      assertOpen();
      return stateOf(await scripts.get(counterKeys(key), [String(now())]));
    },

    async hit(key, windowMs, limit, weight): Promise<WindowHit> {
      assertOpen();
      const at = now();
      const start = bucketStart(at, windowMs);
      const reply = (await scripts.hit(
        [bucketKey(key, windowMs, start - windowMs), bucketKey(key, windowMs, start)],
        [
          String(at),
          String(start),
          String(windowMs),
          limitArg(limit),
          integer('weight', weight),
          String(2 * windowMs),
        ],
      )) as [number, string, string];
      const [, previous, current] = reply;
      // The script made the same decision with the same arithmetic; decideHit fills in the rest.
      return decideHit(Number(previous), Number(current), at, windowMs, limit, weight);
    },

    async adjust(key, windowMs, delta, at) {
      assertOpen();
      const bucket = bucketStart(at, windowMs);
      const current = bucketStart(now(), windowMs);
      // Only the current and the previous bucket still count in the window.
      if (bucket !== current && bucket !== current - windowMs) return;
      await scripts.adjust(
        [bucketKey(key, windowMs, bucket)],
        [integer('delta', delta), String(2 * windowMs)],
      );
    },

    async ping() {
      assertOpen();
      await client.ping();
    },

    async epoch() {
      assertOpen();
      const [value, created] = (await scripts.epoch([`${prefix}epoch`], [randomUUID()])) as [string, number];
      return { value, created: created === 1 };
    },

    async forgetEpoch(value) {
      assertOpen();
      await scripts.forgetEpoch([`${prefix}epoch`], [value]);
    },

    async seedUsed(key, used) {
      assertOpen();
      return Number(await scripts.seed([`${prefix}u:${key}`], [integer('used', used), usedKeep]));
    },

    async charge(key, amount, chargeId) {
      assertOpen();
      const reply = await scripts.charge(
        [`${prefix}u:${key}`, `${prefix}charge:${chargeId}`],
        [integer('amount', amount), usedKeep, String(CHARGE_MEMORY_MS)],
      );
      return Number(reply);
    },

    counterKeyOf,

    async close() {
      if (closed) return;
      closed = true;
      if (!owned) return;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
