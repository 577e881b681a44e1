/**
 * @module storage/redis/failover-counter-store
 * What budgets and rate limits do when the shared Redis is unreachable: a documented setting
 * (`storage.redis_down`, DESIGN.md §5), not an accident. The store wraps the Redis CounterStore;
 * while Redis answers it is a pass-through. When a command fails (the connection is lost, or a
 * command outlives its short timeout) it turns `degraded` and, without touching Redis again,
 * answers by policy — reserve/settle/release/get by the budgets one, hit/adjust by the rate one:
 * `fail_closed` refuses with `unavailable: true` (the admission answers 503, not 402/429),
 * `fail_open` admits unchecked, `local` counts in a memory store of this process, so each replica
 * enforces the full limit on its own (budget counters start from the last spend Redis reported).
 *
 * Nothing spent is lost: a settle or release of a reservation held on Redis waits in a bounded
 * in-memory queue and is replayed, in order, when Redis answers again (the Redis scripts act once,
 * so a settle whose timeout hid its success is not charged twice); what requests admitted by
 * `fail_open` or `local` spent is charged to the Redis counter too, once per reservation.
 * Reservations made locally settle locally. A probe (PING) every `probeIntervalMs` brings the
 * store back to `redis` once the queue is replayed.
 *
 * Redis runs without persistence, so it can come back empty: a sentinel key (`<prefix>epoch`)
 * is written at start, and when it is missing after a reconnect (or when Redis was empty at
 * start) `onReset` is awaited — after the queued settles are replayed, before Redis is trusted
 * again — so that the gateway re-seeds budget spend from the ledger with `seedUsed` (which only
 * ever raises a counter, so every replica may do it). Rate windows are not restored.
 */

import { randomUUID } from 'node:crypto';
import type { CounterState, CounterStore, ReserveResult, WindowHit } from '../admission-ports.js';
import { createMemoryCounterStore } from '../memory/memory-counter-store.js';
import type { RedisCounterStore } from './redis-counter-store.js';

export type BudgetsDownPolicy = 'fail_closed' | 'fail_open' | 'local';
export type RateLimitsDownPolicy = 'local' | 'fail_open' | 'fail_closed';

/** `storage.redis_down` of the config. */
export interface RedisDownPolicy {
  budgets: BudgetsDownPolicy;
  rate_limits: RateLimitsDownPolicy;
}

export type CounterStoreMode = 'redis' | 'degraded';

export interface FailoverCounterStoreOptions {
  /** The shared store; closed with this one. Give it a fail-fast client (`redisCounterClientOptions`). */
  redis: RedisCounterStore;
  /** Default `{ budgets: 'fail_closed', rate_limits: 'local' }`. */
  policy?: Partial<RedisDownPolicy>;
  now?: () => number;
  /** Of the local store; default one hour. */
  lapseGraceMs?: number;
  /** How often a degraded store checks whether Redis answers again; default 1,000 ms. */
  probeIntervalMs?: number;
  /** Settles and charges waiting for Redis at most; beyond that they are dropped and reported. Default 10,000. */
  maxPendingSettles?: number;
  /** Told on each change between `redis` and `degraded`, with the error that caused a degradation. */
  onStateChange?: (state: CounterStoreMode, cause?: unknown) => void;
  /** Redis holds none of this prefix's counters (empty at start, or came back empty): re-seed them. */
  onReset?: (info: { atStart: boolean }) => void | Promise<void>;
  /** Told about dropped settlements and errors of the background work. */
  onError?: (error: unknown) => void;
}

export interface FailoverCounterStore extends CounterStore {
  state(): CounterStoreMode;
  /** Settles, releases and charges waiting for Redis. */
  pendingSettles(): number;
  /** Tries Redis now (the probe does this on its own); true when the store is back on `redis`. */
  recover(): Promise<boolean>;
  /** Raises a counter's settled amount on Redis to at least `used` (from `onReset`); throws when Redis is down. */
  seedUsed(key: string, used: number): Promise<number>;
}

type PendingOperation =
  | { kind: 'settle'; reservationId: string; key: string; actual: number }
  | { kind: 'release'; reservationId: string; key: string }
  | { kind: 'charge'; key: string; amount: number; chargeId: string };

const LOCAL_TAG = 'local:';
const OPEN_TAG = 'open:';
/** Counters whose last settled amount is remembered, to start local counting from. */
const KNOWN_USED_MAX = 10_000;

/** Redis errors that mean "not now" rather than a bug in a script. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MISCONF)\b/;

/** Whether an error of the Redis store means Redis is unreachable (not a bad argument or a bug). */
export function isRedisOutage(error: unknown): boolean {
  if (error instanceof RangeError) return false;
  if (!(error instanceof Error)) return true;
  if (error.message === 'counter store is closed') return false;
  if (error.name === 'ReplyError') return TRANSIENT_REPLY.test(error.message);
  return true;
}

/**
 * Ids of reservations made outside Redis: `<tag><key length>:<key><inner id>`, so that the key
 * and the local store's own id (whatever its format) both come back out.
 */
function tag(tagName: string, key: string, inner: string): string {
  return `${tagName}${key.length}:${key}${inner}`;
}

function untag(id: string, tagName: string): { key: string; inner: string } | undefined {
  if (!id.startsWith(tagName)) return undefined;
  const colon = id.indexOf(':', tagName.length);
  const length = Number(id.slice(tagName.length, colon));
  if (colon < 0 || !Number.isSafeInteger(length) || colon + 1 + length >= id.length) return undefined;
  return { key: id.slice(colon + 1, colon + 1 + length), inner: id.slice(colon + 1 + length) };
}

export async function createFailoverCounterStore(
  options: FailoverCounterStoreOptions,
): Promise<FailoverCounterStore> {
  const { redis } = options;
  const now = options.now ?? Date.now;
  const policy: RedisDownPolicy = {
    budgets: options.policy?.budgets ?? 'fail_closed',
    rate_limits: options.policy?.rate_limits ?? 'local',
  };
  const probeIntervalMs = options.probeIntervalMs ?? 1_000;
  const maxPending = options.maxPendingSettles ?? 10_000;
  const onError = options.onError ?? (() => {});
  const local = createMemoryCounterStore({
    now,
    ...(options.lapseGraceMs === undefined ? {} : { lapseGraceMs: options.lapseGraceMs }),
  });

  let mode: CounterStoreMode = 'redis';
  let closed = false;
  let knownEpoch: string | undefined;
  let probe: NodeJS.Timeout | undefined;
  let recovering: Promise<boolean> | undefined;
  const pending: PendingOperation[] = [];
  /** Last settled amount Redis reported per counter, least recently updated first. */
  const knownUsed = new Map<string, number>();
  /** Counters whose local copy was raised to `knownUsed` in this degraded spell. */
  const synced = new Map<string, Promise<void>>();

  function remember(key: string, used: number): void {
    knownUsed.delete(key);
    knownUsed.set(key, used);
    if (knownUsed.size > KNOWN_USED_MAX) knownUsed.delete(knownUsed.keys().next().value!);
  }

  function notify(state: CounterStoreMode, cause?: unknown): void {
    try {
      options.onStateChange?.(state, cause);
    } catch (error) {
      onError(error);
    }
  }

  function degrade(cause: unknown): void {
    if (mode === 'degraded' || closed) return;
    mode = 'degraded';
    synced.clear();
    notify('degraded', cause);
    scheduleProbe();
  }

  function scheduleProbe(): void {
    if (probe !== undefined || closed) return;
    probe = setTimeout(() => {
      probe = undefined;
      void recover().then((back) => {
        if (!back) scheduleProbe();
      });
    }, probeIntervalMs);
    probe.unref();
  }

  /** Runs the re-seed; false when it failed (the caller then keeps the loss visible and retries). */
  async function reset(atStart: boolean): Promise<boolean> {
    try {
      await options.onReset?.({ atStart });
      return true;
    } catch (error) {
      onError(error);
      return false;
    }
  }

  /** Replays what waited for Redis, in order, until nothing waits. */
  async function drain(): Promise<void> {
    while (pending.length > 0) {
      try {
        await apply(pending[0]!);
      } catch (error) {
        if (isRedisOutage(error)) throw error;
        onError(error);
      }
      pending.shift();
    }
  }

  async function apply(operation: PendingOperation): Promise<void> {
    if (operation.kind === 'charge') {
      remember(operation.key, await redis.charge(operation.key, operation.amount, operation.chargeId));
      return;
    }
    if (operation.kind === 'release') {
      await redis.release(operation.reservationId);
      return;
    }
    // Undefined when the reservation is gone: settled after all by the attempt that timed out,
    // or lost with Redis's data (then the re-seed from the ledger has the spend).
    const state = await redis.settle(operation.reservationId, operation.actual);
    if (state !== undefined) remember(operation.key, state.used);
  }

  function recover(): Promise<boolean> {
    recovering ??= (async () => {
      try {
        await redis.ping();
        const { value, created } = await redis.epoch();
        const lost = created || (knownEpoch !== undefined && value !== knownEpoch);
        knownEpoch = value;
        // Counters are unknown until re-seeded: answer by policy meanwhile.
        if (lost) degrade(new Error('Redis came back without its counters (the epoch sentinel was missing)'));
        await drain();
        if (lost) {
          // After the replay: seeding only raises counters, so it wins over replayed charges. A
          // failed re-seed must not leave the empty counters trusted: forget the sentinel (the
          // next probe, here or on another replica, finds the loss again) and stay degraded.
          if (!(await reset(false))) {
            await redis.forgetEpoch(value);
            return false;
          }
          // What settled while the re-seed ran waited in the queue: replay it too. No await
          // between the last check of the queue and the switch back.
          await drain();
        }
        if (mode === 'degraded' && !closed) {
          mode = 'redis';
          notify('redis');
        }
        return true;
      } catch (error) {
        if (!isRedisOutage(error)) onError(error);
        return false;
      } finally {
        recovering = undefined;
      }
    })();
    return recovering;
  }

  function enqueue(operation: PendingOperation): void {
    if (pending.length >= maxPending) {
      onError(
        new Error(
          `counter store: ${maxPending} settlements already wait for Redis; dropped a ${operation.kind} ` +
            `of counter ${operation.key} (the ledger still has the spend)`,
        ),
      );
      return;
    }
    pending.push(operation);
  }

  /** Charges spend made outside Redis to the shared counter, now or once Redis answers; the expected used. */
  async function chargeShared(key: string, amount: number, chargeId: string): Promise<number | undefined> {
    if (mode === 'redis') {
      try {
        const used = await redis.charge(key, amount, chargeId);
        remember(key, used);
        return used;
      } catch (error) {
        if (!isRedisOutage(error)) throw error;
        degrade(error);
      }
    }
    enqueue({ kind: 'charge', key, amount, chargeId });
    const known = knownUsed.get(key);
    if (known === undefined) return undefined;
    remember(key, known + amount);
    return known + amount;
  }

  /** Raises the local copy of a counter to the last amount Redis reported, once per degraded spell. */
  function syncLocal(key: string): Promise<void> {
    let done = synced.get(key);
    if (done === undefined) {
      done = (async () => {
        const known = knownUsed.get(key);
        if (known === undefined) return;
        const { used } = await local.get(key);
        if (known <= used) return;
        // The port has no "set": a zero reservation settled for the difference raises `used`.
        const raise = await local.reserve(key, 0, Number.POSITIVE_INFINITY, 0);
        if (raise.reservationId !== undefined) await local.settle(raise.reservationId, known - used);
      })();
      synced.set(key, done);
    }
    return done;
  }

  /** Runs on Redis while it answers; undefined once it did not (the store is then degraded). */
  async function onRedis<T>(operation: () => Promise<T>): Promise<{ value: T } | undefined> {
    if (mode !== 'redis') return undefined;
    try {
      return { value: await operation() };
    } catch (error) {
      if (!isRedisOutage(error)) throw error;
      degrade(error);
      return undefined;
    }
  }

  function assertOpen(): void {
    if (closed) throw new Error('counter store is closed');
  }

  // Redis restarted while nothing failed: ioredis reconnected on its own, check the sentinel.
  const onReady = () => {
    if (!closed && mode === 'redis') void recover();
  };

  try {
    const { value, created } = await redis.epoch();
    knownEpoch = value;
    if (created && !(await reset(true))) {
      await redis.forgetEpoch(value);
      degrade(new Error('re-seeding the counters Redis does not hold failed; retrying'));
    }
  } catch (error) {
    if (!isRedisOutage(error)) throw error;
    degrade(error);
  }
  redis.client.on('ready', onReady);

  return {
    state: () => mode,
    pendingSettles: () => pending.length,
    recover,

    async seedUsed(key, used) {
      assertOpen();
      const after = await redis.seedUsed(key, used);
      remember(key, after);
      return after;
    },

    async reserve(key, amount, limit, ttlMs): Promise<ReserveResult> {
      assertOpen();
      const shared = await onRedis(() => redis.reserve(key, amount, limit, ttlMs));
      if (shared !== undefined) {
        remember(key, shared.value.used);
        return shared.value;
      }
      const used = knownUsed.get(key) ?? 0;
      switch (policy.budgets) {
        case 'fail_closed':
          return { ok: false, used, reserved: 0, unavailable: true };
        case 'fail_open':
          return { ok: true, used, reserved: 0, reservationId: tag(OPEN_TAG, key, randomUUID()) };
        case 'local': {
          await syncLocal(key);
          const result = await local.reserve(key, amount, limit, ttlMs);
          if (result.reservationId !== undefined)
            result.reservationId = tag(LOCAL_TAG, key, result.reservationId);
          return result;
        }
      }
    },

    async settle(reservationId, actual): Promise<CounterState | undefined> {
      assertOpen();
      const made = untag(reservationId, LOCAL_TAG);
      if (made !== undefined) {
        const state = await local.settle(made.inner, actual);
        if (state !== undefined && actual !== 0) await chargeShared(made.key, actual, made.inner);
        return state;
      }
      const open = untag(reservationId, OPEN_TAG);
      if (open !== undefined) {
        const used =
          actual === 0 ? knownUsed.get(open.key) : await chargeShared(open.key, actual, open.inner);
        return { used: used ?? actual, reserved: 0, reservations: 0 };
      }
      const key = redis.counterKeyOf(reservationId);
      if (key === undefined) return undefined;
      const shared = await onRedis(() => redis.settle(reservationId, actual));
      if (shared !== undefined) {
        if (shared.value !== undefined) remember(key, shared.value.used);
        return shared.value;
      }
      enqueue({ kind: 'settle', reservationId, key, actual });
      // What the counter will hold once the settle is replayed, as far as this replica knows.
      const known = knownUsed.get(key);
      if (known !== undefined) remember(key, known + actual);
      return { used: (known ?? 0) + actual, reserved: 0, reservations: 0 };
    },

    async release(reservationId) {
      assertOpen();
      const made = untag(reservationId, LOCAL_TAG);
      if (made !== undefined) return local.release(made.inner);
      if (untag(reservationId, OPEN_TAG) !== undefined) return true;
      const key = redis.counterKeyOf(reservationId);
      if (key === undefined) return false;
      const shared = await onRedis(() => redis.release(reservationId));
      if (shared !== undefined) return shared.value;
      enqueue({ kind: 'release', reservationId, key });
      return true;
    },

    async get(key) {
      assertOpen();
      const shared = await onRedis(() => redis.get(key));
      if (shared !== undefined) {
        remember(key, shared.value.used);
        return shared.value;
      }
      await syncLocal(key);
      return local.get(key);
    },

    async hit(key, windowMs, limit, weight): Promise<WindowHit> {
      assertOpen();
      const shared = await onRedis(() => redis.hit(key, windowMs, limit, weight));
      if (shared !== undefined) return shared.value;
      const at = now();
      switch (policy.rate_limits) {
        case 'local':
          return local.hit(key, windowMs, limit, weight);
        case 'fail_open':
          return {
            allowed: true,
            count: 0,
            remaining: Math.max(0, Math.floor(limit - weight)),
            resetMs: 0,
            retryAfterMs: 0,
            at,
          };
        case 'fail_closed':
          return {
            allowed: false,
            count: 0,
            remaining: 0,
            resetMs: 0,
            retryAfterMs: probeIntervalMs,
            at,
            unavailable: true,
          };
      }
    },

    async adjust(key, windowMs, delta, at) {
      assertOpen();
      // A correction lost to an outage only makes a rate window a little off for a minute.
      const shared = await onRedis(() => redis.adjust(key, windowMs, delta, at));
      if (shared === undefined && policy.rate_limits === 'local')
        await local.adjust(key, windowMs, delta, at);
    },

    async close() {
      if (closed) return;
      if (pending.length > 0) await recover();
      closed = true;
      if (probe !== undefined) clearTimeout(probe);
      redis.client.off('ready', onReady);
      if (pending.length > 0) {
        onError(
          new Error(
            `counter store closed with ${pending.length} settlements that never reached Redis (the ledger still has the spend)`,
          ),
        );
      }
      await local.close();
      await redis.close();
    },
  };
}
