import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys } from '../../../test/helpers/redis.js';
import { createTestClock, describeCounterStoreContract } from '../counter-store.contract.js';
import { createMemoryCounterStore } from '../memory/memory-counter-store.js';
import { createRedisCounterStore, type RedisCounterStore } from './redis-counter-store.js';

const REDIS_URL = process.env.REDIS_URL;
const skip = REDIS_URL === undefined || REDIS_URL === '';
const MINUTE = 60_000;
const HOUR = 3_600_000;

const testPrefix = () => `switchyard-test-${randomUUID()}:`;

describe.skipIf(skip)('redis counter store', () => {
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) await deleteRedisKeys(REDIS_URL!, prefix);
  });

  describeCounterStoreContract('redis', async (clock) => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    // The contract, not the timeout: 1,000 concurrent scripts may outlive the default 250 ms on
    // a loaded machine.
    return createRedisCounterStore({ url: REDIS_URL!, prefix, now: clock.now, commandTimeoutMs: 10_000 });
  });

  async function open(now?: () => number, prefix = testPrefix()): Promise<RedisCounterStore> {
    prefixes.push(prefix);
    return createRedisCounterStore({ url: REDIS_URL!, prefix, ...(now === undefined ? {} : { now }) });
  }

  it('two replicas with their own connections racing 1,000 reservations never pass the limit', async () => {
    const prefix = testPrefix();
    const a = await open(undefined, prefix);
    const b = await open(undefined, prefix);
    try {
      expect(a.client).not.toBe(b.client);
      const results = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) => (i % 2 === 0 ? a : b).reserve('shared', 7, 700, MINUTE)),
      );
      const taken = results.filter((r) => r.ok);
      expect(taken).toHaveLength(100);
      // Both replicas got some: the race was real, and Redis arbitrated it.
      expect(results.filter((r, i) => r.ok && i % 2 === 0).length).toBeGreaterThan(0);
      expect(results.filter((r, i) => r.ok && i % 2 === 1).length).toBeGreaterThan(0);
      expect(await a.get('shared')).toEqual({ used: 0, reserved: 700, reservations: 100 });
      // A reservation taken on one replica is settled on the other, once.
      const settled = await Promise.all(
        taken.map((r, i) => (i % 2 === 0 ? b : a).settle(r.reservationId!, 5)),
      );
      expect(settled.every((state) => state !== undefined)).toBe(true);
      expect(await b.get('shared')).toEqual({ used: 500, reserved: 0, reservations: 0 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps nano-dollar amounts exact up to 1e15 and beyond 2^32', async () => {
    const s = await open();
    try {
      const limit = 2_000_000_000_000_000;
      const first = await s.reserve('big', 999_999_999_999_999, limit, MINUTE);
      expect(first.ok).toBe(true);
      expect(await s.settle(first.reservationId!, 123_456_789_012_345)).toEqual({
        used: 123_456_789_012_345,
        reserved: 0,
        reservations: 0,
      });
      const second = await s.reserve('big', 1_876_543_210_987_655, limit, MINUTE);
      expect(second).toMatchObject({ ok: true, used: 123_456_789_012_345, reserved: 0 });
      expect((await s.reserve('big', 1, limit, MINUTE)).ok).toBe(false);
      await s.settle(second.reservationId!, 1_876_543_210_987_654);
      expect(await s.get('big')).toEqual({ used: 1_999_999_999_999_999, reserved: 0, reservations: 0 });
      expect((await s.reserve('big', 1, limit, MINUTE)).ok).toBe(true);
      // An infinite limit admits anything; a non-integer amount is refused before Redis sees it.
      expect((await s.reserve('inf', 1e15, Number.POSITIVE_INFINITY, MINUTE)).ok).toBe(true);
      await expect(s.reserve('x', 1.5, 10, MINUTE)).rejects.toThrow(RangeError);
    } finally {
      await s.close();
    }
  });

  it('answers every hit exactly as the memory store does', async () => {
    const clock = createTestClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const redis = await open(clock.now);
    const memory = createMemoryCounterStore({ now: clock.now });
    try {
      // A deterministic walk: weights, steps and adjustments from a fixed linear congruential sequence.
      let seed = 42;
      const next = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed % n;
      };
      for (let i = 0; i < 400; i++) {
        clock.advance(next(4_000));
        const weight = 1 + next(30);
        const [fromRedis, fromMemory] = [
          await redis.hit('walk', 10_000, 100, weight),
          await memory.hit('walk', 10_000, 100, weight),
        ];
        expect(fromRedis).toEqual(fromMemory);
        if (next(5) === 0) {
          const delta = next(40) - 30;
          await redis.adjust('walk', 10_000, delta, fromRedis.at);
          await memory.adjust('walk', 10_000, delta, fromMemory.at);
        }
      }
    } finally {
      await redis.close();
      await memory.close();
    }
  });

  it('sets expiries so that abandoned state does not accumulate', async () => {
    const prefix = testPrefix();
    const s = await open(undefined, prefix);
    const admin = new Redis(REDIS_URL!);
    try {
      const { reservationId } = await s.reserve('b', 5, 100, MINUTE);
      const pttl = (key: string) => admin.pttl(`${prefix}${key}`);
      // Reservation state: its ttl plus the hour of grace.
      for (const key of ['l:b', 'a:b']) {
        expect(await pttl(key)).toBeGreaterThan(HOUR + MINUTE - 5_000);
        expect(await pttl(key)).toBeLessThanOrEqual(HOUR + MINUTE);
      }
      // A longer reservation extends it; a shorter one never shortens it.
      await s.reserve('b', 5, 100, 2 * HOUR);
      await s.reserve('b', 5, 100, 1_000);
      expect(await pttl('a:b')).toBeGreaterThan(3 * HOUR - 5_000);
      // Settled amounts: 400 days after the last charge.
      await s.settle(reservationId!, 3);
      expect(await pttl('u:b')).toBeGreaterThan(399 * 24 * HOUR);
      // Rate buckets: two windows.
      const hit = await s.hit('r', MINUTE, 10, 1);
      const bucket = `w:${MINUTE}:${hit.at - (hit.at % MINUTE)}:r`;
      expect(await pttl(bucket)).toBeGreaterThan(2 * MINUTE - 5_000);
      expect(await pttl(bucket)).toBeLessThanOrEqual(2 * MINUTE);
      // Reading a counter never used creates nothing.
      await s.get('never');
      expect(await admin.exists(`${prefix}u:never`, `${prefix}l:never`, `${prefix}a:never`)).toBe(0);
    } finally {
      admin.disconnect();
      await s.close();
    }
  });

  it('loads its scripts again after the server forgot them', async () => {
    const s = await open();
    const admin = new Redis(REDIS_URL!);
    try {
      expect((await s.reserve('b', 1, 10, MINUTE)).ok).toBe(true);
      // SCRIPT FLUSH is server-wide, but every client here loads on NOSCRIPT.
      await admin.script('FLUSH');
      expect((await s.reserve('b', 1, 10, MINUTE)).ok).toBe(true);
      expect(await s.get('b')).toMatchObject({ reserved: 2, reservations: 2 });
    } finally {
      admin.disconnect();
      await s.close();
    }
  });

  it('charges once per charge id, seeds idempotently, and keeps one epoch', async () => {
    const s = await open();
    try {
      expect(await s.charge('c', 40, 'charge-1')).toBe(40);
      expect(await s.charge('c', 40, 'charge-1')).toBe(40);
      expect(await s.charge('c', 2, 'charge-2')).toBe(42);
      expect(await s.seedUsed('c', 30)).toBe(42);
      expect(await s.seedUsed('c', 100)).toBe(100);
      expect(await s.get('c')).toEqual({ used: 100, reserved: 0, reservations: 0 });
      const first = await s.epoch();
      expect(first.created).toBe(true);
      expect(await s.epoch()).toEqual({ value: first.value, created: false });
      expect(s.counterKeyOf((await s.reserve('some:key', 1, 10, MINUTE)).reservationId!)).toBe('some:key');
      expect(s.counterKeyOf('local:whatever')).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
