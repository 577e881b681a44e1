import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deleteRedisKeys,
  hasRedisServer,
  type PrivateRedis,
  startPrivateRedis,
} from '../../../test/helpers/redis.js';
import { createAdmission } from '../../admission/create-admission.js';
import { ConfigError, parseConfigObject } from '../../config/load.js';
import { isGatewayError } from '../../core/errors.js';
import { createRequestContext } from '../../gateway/request-context.js';
import { createLogger } from '../../observability/logger.js';
import { createRedactor } from '../../observability/redact.js';
import { adapterFor, defaultBaseUrl } from '../../providers/index.js';
import { createRegistry } from '../../registry/registry.js';
import type { CounterStore } from '../admission-ports.js';
import { describeCounterStoreContract } from '../counter-store.contract.js';
import { createMemoryKeyStore } from '../memory/memory-key-store.js';
import {
  type CounterStoreMode,
  createFailoverCounterStore,
  type FailoverCounterStore,
  type RedisDownPolicy,
} from './failover-counter-store.js';
import { createRedisCounterStore } from './redis-counter-store.js';

// While Redis answers, the failover store is the Redis store: the same contract holds.
describe.skipIf(process.env.REDIS_URL === undefined || process.env.REDIS_URL === '')(
  'failover over the shared Redis',
  () => {
    const prefixes: string[] = [];
    afterAll(async () => {
      for (const prefix of prefixes) await deleteRedisKeys(process.env.REDIS_URL!, prefix);
    });
    describeCounterStoreContract('failover (Redis up)', async (clock) => {
      const prefix = `switchyard-test-${randomUUID()}:`;
      prefixes.push(prefix);
      // A generous command timeout: this contract is the pass-through, and 1,000 concurrent
      // scripts on a loaded machine once outlived the default 250 ms, which (correctly) turned
      // the store degraded and refused the second wave.
      const redis = await createRedisCounterStore({
        url: process.env.REDIS_URL!,
        prefix,
        now: clock.now,
        commandTimeoutMs: 10_000,
      });
      return createFailoverCounterStore({ redis, now: clock.now });
    });
  },
);

// These tests start, stop, pause and empty their own redis-server, never the shared one.
const skip = !hasRedisServer() || process.env.REDIS_URL === undefined || process.env.REDIS_URL === '';
const MINUTE = 60_000;

async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Opened {
  store: FailoverCounterStore;
  states: CounterStoreMode[];
  resets: { atStart: boolean }[];
  errors: unknown[];
}

async function timed<T>(operation: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await operation;
  return { value, ms: performance.now() - started };
}

describe.skipIf(skip)('failover counter store', () => {
  let server: PrivateRedis;
  const stores: CounterStore[] = [];

  beforeEach(async () => {
    server = await startPrivateRedis();
  });

  afterEach(async () => {
    server.resume();
    for (const store of stores.splice(0)) await store.close();
    await server.stop();
  });

  async function open(
    policy: Partial<RedisDownPolicy>,
    extra: {
      maxPendingSettles?: number;
      connectWaitMs?: number;
      /** Runs after the reset is recorded (a slow or failing re-seed). */
      onReset?: (info: { atStart: boolean }) => Promise<void>;
    } = {},
  ): Promise<Opened> {
    const states: CounterStoreMode[] = [];
    const resets: { atStart: boolean }[] = [];
    const errors: unknown[] = [];
    const redis = await createRedisCounterStore({
      url: server.url,
      prefix: `switchyard-test-${randomUUID()}:`,
      commandTimeoutMs: 250,
      connectWaitMs: extra.connectWaitMs ?? 2_000,
    });
    const store = await createFailoverCounterStore({
      redis,
      policy,
      probeIntervalMs: 100,
      onStateChange: (state) => states.push(state),
      onReset: async (info) => {
        resets.push(info);
        await extra.onReset?.(info);
      },
      onError: (error) => errors.push(error),
      ...(extra.maxPendingSettles === undefined ? {} : { maxPendingSettles: extra.maxPendingSettles }),
    });
    stores.push(store);
    return { store, states, resets, errors };
  }

  it('fails closed for budgets while Redis is down, fast, and is back on Redis after an empty restart', async () => {
    const { store, states, resets, errors } = await open(
      { budgets: 'fail_closed' },
      { maxPendingSettles: 1 },
    );
    // A fresh server holds no counters: re-seed at start.
    expect(resets).toEqual([{ atStart: true }]);
    const held = await store.reserve('b', 10, 100, MINUTE);
    await store.settle(held.reservationId!, 30);
    const [first, second] = [
      await store.reserve('b', 10, 100, MINUTE),
      await store.reserve('b', 10, 100, MINUTE),
    ];
    expect(store.state()).toBe('redis');

    await server.stop();
    const refused = await timed(store.reserve('b', 10, 100, MINUTE));
    expect(refused.value).toEqual({ ok: false, used: 30, reserved: 0, unavailable: true });
    expect(refused.ms).toBeLessThan(1_000);
    expect(store.state()).toBe('degraded');
    expect(states).toEqual(['degraded']);
    // Degraded, the store answers without waiting on Redis at all.
    const again = await timed(store.reserve('b', 1, 100, MINUTE));
    expect(again.value.unavailable).toBe(true);
    expect(again.ms).toBeLessThan(150);
    // Rate limits default to counting locally: the limit still holds within this replica.
    expect((await store.hit('r', MINUTE, 2, 1)).allowed).toBe(true);
    expect((await store.hit('r', MINUTE, 2, 1)).allowed).toBe(true);
    expect(await store.hit('r', MINUTE, 2, 1)).toMatchObject({ allowed: false });
    expect((await store.hit('r', MINUTE, 2, 1)).unavailable).toBeUndefined();
    // Settles of Redis reservations wait in a bounded queue; past its bound they are reported.
    await store.settle(first.reservationId!, 5);
    expect(store.pendingSettles()).toBe(1);
    await store.settle(second.reservationId!, 5);
    expect(store.pendingSettles()).toBe(1);
    expect(String(errors[0])).toMatch(/dropped a settle of counter b/);

    await server.start();
    await until(() => store.state() === 'redis');
    expect(states).toEqual(['degraded', 'redis']);
    // The server came back empty: the gateway is told to re-seed, and can.
    expect(resets).toEqual([{ atStart: true }, { atStart: false }]);
    expect(await store.seedUsed('b', 45)).toBe(45);
    expect(store.pendingSettles()).toBe(0);
    expect(await store.reserve('b', 55, 100, MINUTE)).toMatchObject({ ok: true, used: 45, reserved: 0 });
  });

  it('a re-seed that fails leaves the loss visible: degraded, retried on the next probe until it succeeds', async () => {
    let failures = 1;
    const { store, resets } = await open(
      {},
      {
        onReset: async ({ atStart }) => {
          if (!atStart && failures-- > 0) throw new Error('ledger unreachable');
        },
      },
    );
    await store.reserve('b', 1, 10, MINUTE);
    await server.stop();
    await server.start();
    await until(() => resets.length === 2);
    // The failed re-seed did not hand the empty counters back to the budgets.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.state()).toBe('degraded');
    expect((await store.reserve('b', 1, 10, MINUTE)).unavailable).toBe(true);
    await until(() => store.state() === 'redis');
    expect(resets).toEqual([{ atStart: true }, { atStart: false }, { atStart: false }]);
  });

  it('settlements made while a re-seed runs reach Redis before it is trusted again', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { store, resets } = await open(
      { budgets: 'local' },
      { onReset: async ({ atStart }) => (atStart ? undefined : gate) },
    );
    await server.stop();
    const local = await store.reserve('b', 10, 1_000, MINUTE);
    expect(local.ok).toBe(true);
    await server.start();
    await until(() => resets.length === 2);
    // The re-seed is running: this spend is queued for Redis meanwhile.
    await store.settle(local.reservationId!, 500);
    release();
    await until(() => store.state() === 'redis');
    expect(store.pendingSettles()).toBe(0);
    expect((await store.get('b')).used).toBe(500);
  });

  it('notices a restart that came back empty even when no request failed meanwhile', async () => {
    const { store, states, resets } = await open({});
    await store.reserve('b', 1, 10, MINUTE);
    await server.stop();
    await server.start();
    await until(() => resets.length === 2);
    expect(resets[1]).toEqual({ atStart: false });
    await until(() => store.state() === 'redis');
    // Counters were unknown until re-seeded, so the store answered by policy meanwhile.
    expect(states).toEqual(['degraded', 'redis']);
  });

  it('replays settles that could not reach a hung Redis, exactly once', async () => {
    const { store, states, resets } = await open({ budgets: 'fail_closed' });
    const a = await store.reserve('b', 10, 100, MINUTE);
    const b = await store.reserve('b', 10, 100, MINUTE);

    server.pause();
    // The first settle waits for the command timeout, then is queued; Redis still holds it unread.
    const settleA = await timed(store.settle(a.reservationId!, 7));
    expect(settleA.ms).toBeGreaterThanOrEqual(200);
    expect(settleA.ms).toBeLessThan(1_000);
    expect(settleA.value).toEqual({ used: 7, reserved: 0, reservations: 0 });
    expect(store.state()).toBe('degraded');
    // The second is queued at once.
    const settleB = await timed(store.settle(b.reservationId!, 9));
    expect(settleB.ms).toBeLessThan(150);
    expect(store.pendingSettles()).toBe(2);
    const hang = await timed(store.hit('r', MINUTE, 10, 1));
    expect(hang.ms).toBeLessThan(150);

    server.resume();
    await until(() => store.state() === 'redis');
    expect(store.pendingSettles()).toBe(0);
    // A ran once (from the socket or the replay, not both), B from the replay; Redis kept its data.
    expect(await store.get('b')).toEqual({ used: 16, reserved: 0, reservations: 0 });
    expect(states).toEqual(['degraded', 'redis']);
    expect(resets).toEqual([{ atStart: true }]);
  });

  it('fails open: admits unchecked while down and charges the spend to Redis once it answers', async () => {
    const { store } = await open({ budgets: 'fail_open', rate_limits: 'fail_open' });
    const held = await store.reserve('b', 10, 100, MINUTE);
    await store.settle(held.reservationId!, 90);

    server.pause();
    const admitted = await timed(store.reserve('b', 50, 100, MINUTE));
    expect(admitted.ms).toBeLessThan(1_000);
    expect(admitted.value).toMatchObject({ ok: true, used: 90 });
    expect(admitted.value.reservationId).toMatch(/^open:/);
    const hit = await store.hit('r', MINUTE, 1, 1);
    expect(hit).toMatchObject({ allowed: true });
    expect((await store.hit('r', MINUTE, 1, 1)).allowed).toBe(true);
    expect(await store.settle(admitted.value.reservationId!, 25)).toMatchObject({ used: 115 });
    expect(store.pendingSettles()).toBe(1);

    server.resume();
    await until(() => store.state() === 'redis');
    expect(await store.get('b')).toEqual({ used: 115, reserved: 0, reservations: 0 });
  });

  it('counts locally: per-replica limits from the last known spend, settled locally, spend forwarded', async () => {
    const { store } = await open({ budgets: 'local', rate_limits: 'fail_closed' });
    const held = await store.reserve('b', 10, 100, MINUTE);
    await store.settle(held.reservationId!, 60);

    await server.stop();
    // The local counter starts from the 60 Redis last reported: 50 more do not fit, 40 do.
    const refused = await timed(store.reserve('b', 50, 100, MINUTE));
    expect(refused.ms).toBeLessThan(1_000);
    expect(refused.value).toEqual({ ok: false, used: 60, reserved: 0 });
    const local = await store.reserve('b', 40, 100, MINUTE);
    expect(local).toMatchObject({ ok: true, used: 60, reserved: 0 });
    expect(local.reservationId).toMatch(/^local:/);
    expect(await store.get('b')).toEqual({ used: 60, reserved: 40, reservations: 1 });
    expect(await store.settle(local.reservationId!, 40)).toEqual({ used: 100, reserved: 0, reservations: 0 });
    expect(await store.settle(local.reservationId!, 40)).toBeUndefined();
    // Rate limits fail closed: a refusal the admission can tell from an exceeded limit.
    expect(await store.hit('r', MINUTE, 10, 1)).toMatchObject({ allowed: false, unavailable: true });

    await server.start();
    await until(() => store.state() === 'redis');
    // Redis lost the 60 but got the 40 spent meanwhile; the re-seed from the ledger restores the rest.
    expect(await store.get('b')).toEqual({ used: 40, reserved: 0, reservations: 0 });
    expect(await store.seedUsed('b', 100)).toBe(100);
    expect((await store.hit('r', MINUTE, 10, 1)).allowed).toBe(true);
  });

  it('starts degraded when Redis is down at start, and joins it when it comes up', async () => {
    await server.stop();
    const started = performance.now();
    const { store, states, resets } = await open({ budgets: 'fail_closed' }, { connectWaitMs: 300 });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(store.state()).toBe('degraded');
    expect((await store.reserve('b', 1, 10, MINUTE)).unavailable).toBe(true);
    await server.start();
    await until(() => store.state() === 'redis');
    expect(states).toEqual(['degraded', 'redis']);
    expect(resets).toEqual([{ atStart: false }]);
    expect((await store.reserve('b', 1, 10, MINUTE)).ok).toBe(true);
  });

  it('the admission answers 503 SERVICE_UNAVAILABLE for a fail_closed refusal, not 402 or 429', async () => {
    const { config } = parseConfigObject({
      providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'k' } },
      models: {
        small: { pricing: { input_per_mtok: 1, output_per_mtok: 2 }, deployments: [{ provider: 'p' }] },
      },
      budgets: { daily_limit_usd: 10 },
      storage: { redis_down: { rate_limits: 'fail_open' } },
    });
    expect(config.storage.redis_down).toEqual({ budgets: 'fail_closed', rate_limits: 'fail_open' });
    const { store } = await open(config.storage.redis_down);
    const { registry } = createRegistry(config, { adapterFor, defaultBaseUrl });
    const logger = createLogger({
      level: 'error',
      redactor: createRedactor({ secrets: [] }),
      destination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    });
    const admission = createAdmission({
      config,
      registry,
      counters: store,
      keys: createMemoryKeyStore(),
      logger,
    });
    const admit = async () =>
      admission.admit(
        createRequestContext({
          endpoint: 'chat.completions',
          timeoutMs: MINUTE,
          signal: new AbortController().signal,
          caller: { admin: true },
        }),
        {
          request: {
            model: 'small',
            maxTokens: 10,
            messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
          },
          plan: { kind: 'sequence', strategy: 'direct', attempts: [{ model: 'small' }], reason: 't' },
        },
      );
    expect((await admit()).headers).toBeUndefined();

    await server.stop();
    const error = await admit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isGatewayError(error)).toBe(true);
    if (!isGatewayError(error)) return;
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/shared counter store \(Redis\) is unreachable/);
    expect(error.details).toMatchObject({ reason: 'counter_store_unreachable', limit_type: 'budget' });
    await admission.close?.();
  });

  it('rejects an unknown policy with one line naming its path', () => {
    expect(() => parseConfigObject({ storage: { redis_down: { budgets: 'sometimes' } } })).toThrow(
      ConfigError,
    );
    try {
      parseConfigObject({ storage: { redis_down: { budgets: 'sometimes' } } });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(/^storage\.redis_down\.budgets: /),
      ]);
    }
    expect(parseConfigObject({}).config.storage.redis_down).toEqual({
      budgets: 'fail_closed',
      rate_limits: 'local',
    });
  });
});
